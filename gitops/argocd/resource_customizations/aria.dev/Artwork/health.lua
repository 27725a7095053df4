-- Argo CD health of an Artwork, from the conditions the operator writes (Ready, Reconciling,
-- Stalled) and its phase. Lua 5.1, as gopher-lua runs it.
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
if c.Ready ~= nil and c.Ready.status == "True" then
  hs.status = "Healthy"
  hs.message = c.Ready.message
elseif c.Stalled ~= nil and c.Stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = c.Stalled.message
else
  hs.status = "Progressing"
  hs.message = status.message or (c.Ready and c.Ready.message) or status.phase or ""
  if status.progress ~= nil then
    hs.message = (status.phase or "") .. " " .. status.progress.percent .. "%: " .. hs.message
  end
end
return hs
