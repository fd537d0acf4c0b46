-- A hand-written configuration with Lua that Parley does not run.
admins = { "focus@auth.meet.example.org" }

local domain = "meet.example.org"

VirtualHost(domain)
    authentication = "jitsi-anonymous"
