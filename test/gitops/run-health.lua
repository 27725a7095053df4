-- Runs one Argo CD health.lua as Argo does: the object in the global obj, the result returned.
-- The object comes on stdin as a Lua table literal (see lua-literal.ts).
obj = load("return " .. io.read("a"))()
local hs = dofile(arg[1])
io.write(hs.status, "\n", hs.message or "", "\n")
