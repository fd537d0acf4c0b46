/// One statement of a Prosody configuration or data file, in the subset Parley reads.
///
/// ```lua
/// admins = { "focus@auth.meet.jitsi" }        -- .assignment
/// VirtualHost "meet.example.org"               -- .call("VirtualHost", ["meet.example.org"])
/// Component "conference.meet.example.org" "muc" -- .call("Component", ["conference.…", "muc"])
/// Include "conf.d/*.cfg.lua"                   -- .call("Include", ["conf.d/*.cfg.lua"])
/// return { ["salt"] = "…"; }                   -- .return (data files)
/// ```
public enum LuaStatement: Sendable, Hashable {
    case assignment(name: String, value: LuaValue, line: Int)
    case call(function: String, arguments: [String], line: Int)
    case `return`(LuaValue, line: Int)
}
