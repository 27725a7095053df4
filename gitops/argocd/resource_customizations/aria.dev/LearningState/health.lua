-- Argo CD health of a LearningState: the operator sets Ready as soon as it reconciles one (folding
-- whatever reactions there are, none included) and never sets it False. Lua 5.1.
hs = {}
local status = obj.status
if status ~= nil and status.conditions ~= nil then
  for _, condition in ipairs(status.conditions) do
    if condition.type == "Ready" and condition.status == "True" then
      hs.status = "Healthy"
      hs.message = condition.message
      return hs
    end
  end
end
hs.status = "Progressing"
hs.message = "Waiting for the operator"
return hs
