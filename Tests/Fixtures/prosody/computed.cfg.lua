-- A hand-written configuration that computes its values, as Prosody lets it (Parley runs it in its Lua sandbox).
local domain = "meet.example.org"
admins = { "focus@auth." .. domain }

VirtualHost(domain)
    authentication = ("jitsi-anonymous"):gsub("jitsi%-", "")
    c2s_require_encryption = false

local muc_modules = {}
for _, name in ipairs({ "muc_meeting_id", "muc_domain_mapper" }) do
    muc_modules[#muc_modules + 1] = name
end

Component("conference." .. domain)("muc")
    modules_enabled = muc_modules
    muc_room_locking = false
    restrict_room_creation = true

VirtualHost "auth.meet.example.org" {
    authentication = "internal_hashed";
}
