-- Test fixture: fails while its top level runs.
local x = nil
local y = x.field
function on_request(req) return req:reply(200) end
