-- Test fixture: compiles, but defines no on_request.
function on_requests(req) end
