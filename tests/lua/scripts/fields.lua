-- Test fixture: answers 200 with what it sees of the request as X- headers.
local function str(v)
  if v == nil then return "nil" end
  return tostring(v)
end

local function params(p)
  local out = {}
  for k, v in pairs(p) do out[#out + 1] = k .. "=" .. tostring(v) end
  table.sort(out)
  return table.concat(out, ",")
end

local function party(p, prefix, out)
  out[prefix .. "-Uri"] = tostring(p.uri)
  out[prefix .. "-User"] = str(p.uri.user)
  out[prefix .. "-Tag"] = str(p.tag)
  out[prefix .. "-Display"] = str(p.display)
end

function on_request(req)
  local u, src = req.uri, req.source
  local out = {
    ["X-Method"] = req.method,
    ["X-Uri"] = tostring(req.uri),
    ["X-Uri-Text"] = u:tostring(),
    ["X-Uri-Scheme"] = u.scheme,
    ["X-Uri-User"] = str(u.user),
    ["X-Uri-Host"] = u.host,
    ["X-Uri-Port"] = str(u.port),
    ["X-Uri-Port-Type"] = type(u.port),
    ["X-Uri-Params"] = params(u.params),
    ["X-Call-Id"] = req.call_id,
    ["X-Cseq"] = str(req.cseq),
    ["X-Cseq-Type"] = type(req.cseq),
    ["X-Body"] = (req.body:gsub("\r", "\\r"):gsub("\n", "\\n")),
    ["X-In-Dialog"] = str(req.in_dialog),
    ["X-Src-Address"] = src.address,
    ["X-Src-Port"] = str(src.port),
    ["X-Src-Transport"] = src.transport,
    ["X-Header-A"] = str(req:header("X-A")),
    ["X-Header-a-lower"] = str(req:header("x-a")),
    ["X-Header-Missing"] = str(req:header("X-Nope")),
    ["X-Headers-Missing"] = tostring(#req:headers("X-Nope")),
    ["X-Via-Compact"] = str(req:header("v")),
    ["X-Via-First"] = str(req:header("Via")),
    ["X-Via-All"] = table.concat(req:headers("Via"), "|"),
    ["X-From-Compact"] = str(req:header("f")),
    ["X-Multi"] = table.concat(req:headers("X-Multi"), "|"),
    ["X-Text-Has-Method"] = str(tostring(req):find(req.method .. " ", 1, true) == 1),
  }
  party(req.from, "X-From", out)
  party(req.to, "X-To", out)
  return req:reply(200, "Fields", out)
end
