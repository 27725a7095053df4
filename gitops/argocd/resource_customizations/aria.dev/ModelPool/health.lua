-- Argo CD health of a ModelPool, from the operator's Ready, Progressing and Degraded conditions:
-- a model that fails to load degrades it even while other workers are warm. Lua 5.1.
hs = {}
local status = obj.status
if status == nil or status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator"
  return hs
end
if status.observedGeneration ~= nil and obj.metadata.generation ~= nil
    and status.observedGeneration < obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. obj.metadata.generation
  return hs
end
local c = {}
for _, condition in ipairs(status.conditions) do
  c[condition.type] = condition
end
if c.Degraded ~= nil and c.Degraded.status == "True" then
  hs.status = "Degraded"
  hs.message = c.Degraded.message
elseif c.Ready ~= nil and c.Ready.status == "True" then
  hs.status = "Healthy"
  hs.message = c.Ready.message
else
  hs.status = "Progressing"
  hs.message = (c.Ready and c.Ready.message) or "Waiting for warm workers"
end
return hs
