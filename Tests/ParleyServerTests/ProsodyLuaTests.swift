import Foundation
import Testing

@testable import ParleyServer

/// The Lua layer of `parley import prosody`: Prosody 0.12's configuration environment run by Debian's Lua 5.4 in
/// `LuaSandbox`, the lines reported for options, and what the sandbox refuses.
@Suite("Prosody configurations in the Lua sandbox")
struct ProsodyLuaTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/prosody")

    static func parse(_ text: String) throws -> ProsodyConfiguration {
        try ProsodyConfiguration.parse(text, file: "p.cfg.lua", includeBase: "/nonexistent")
    }

    /// The error reading `text` gives, as "file:line: message".
    static func failure(_ text: String) -> String {
        do {
            _ = try Self.parse(text)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    /// A folder with `files` (relative path → text), removed by the caller.
    static func folder(_ files: [String: String]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("prosody-lua-\(UUID())")
        for (path, text) in files {
            let url = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return folder
    }

    // MARK: - Prosody's environment

    @Test("sections: VirtualHost, Host, Component with its module, the table forms, options and their lines")
    func sections() throws {
        let prosody = try Self.parse(
            """
            admins = { "a@b" }
            VirtualHost "Meet.Example.org"
                authentication = "anonymous"
            Component "conference.meet.example.org" "muc"
                muc_room_locking = false
            component "external.meet.example.org"
                component_secret = "s"
            Host "auth.meet.example.org" {
                authentication = "internal_hashed";
                c2s_require_encryption = true;
            }
            log = "info" -- the table form went back to the global section
            Component "speakerstats.meet.example.org" "speakerstats_component" { muc_component = "conference.meet.example.org" }
            VirtualHost "meet.example.org"
                allow_empty_token = false
            """
        )
        #expect(
            prosody.sections.map(\.name) == [
                "meet.example.org", "conference.meet.example.org", "external.meet.example.org",
                "auth.meet.example.org", "speakerstats.meet.example.org",
            ]
        )
        #expect(prosody.sections.map(\.module) == [nil, "muc", nil, nil, "speakerstats_component"])
        #expect(prosody.virtualHosts.map(\.name) == ["meet.example.org", "auth.meet.example.org"])
        let meet = try #require(prosody.section("meet.example.org"))
        #expect(meet.option("authentication")?.location.description == "p.cfg.lua:3")
        #expect(meet.option("allow_empty_token")?.location.line == 15)
        let auth = try #require(prosody.section("auth.meet.example.org"))
        #expect(auth.option("authentication")?.value == .string("internal_hashed"))
        #expect(auth.option("c2s_require_encryption")?.location.line == 10)
        #expect(prosody.global.option("log")?.value == .string("info"))
        #expect(prosody.global.option("log")?.location.line == 12)
        #expect(prosody.section("speakerstats.meet.example.org")?.option("muc_component")?.location.line == 13)
        #expect(prosody.section("external.meet.example.org")?.location.line == 6)
    }

    @Test("reading an unset global gives ENV_ variables and the libraries, never an option set before")
    func globals() throws {
        let variable = "PARLEY_LUA_TEST_\(UInt32.random(in: 0...UInt32.max))"
        setenv(variable, "from the environment", 1)
        defer { unsetenv(variable) }
        let prosody = try Self.parse(
            """
            secret = ENV_\(variable)
            same = os.getenv("\(variable)")
            missing = ENV_PARLEY_NOT_SET_ANYWHERE
            name = "x"
            read_back = name
            kind = type(string)
            """
        )
        #expect(prosody.global.option("secret")?.value == .string("from the environment"))
        #expect(prosody.global.option("same")?.value == .string("from the environment"))
        #expect(prosody.global.option("missing")?.value == .nil)
        #expect(prosody.global.option("read_back")?.value == .nil)  // Prosody 0.12: options are not globals
        #expect(prosody.global.option("kind")?.value == .string("table"))
    }

    @Test("Lua the old subset reader refused now converts: .., locals, a method call, a loop, the table form")
    func computedFixture() throws {
        let path = Self.fixtures.appendingPathComponent("computed.cfg.lua").path
        let prosody = try ProsodyConfiguration.read(path: path)
        let result = ProsodyConverter.convert(prosody, dataDirectory: "data")
        let configuration = try ConfigurationLoader.load(yaml: result.yaml, path: "parley.yaml", environment: [:])
        #expect(configuration.admins.map(\.description) == ["focus@auth.meet.example.org"])
        #expect(configuration.hosts.map(\.domain) == ["meet.example.org", "auth.meet.example.org"])
        #expect(configuration.hosts.map(\.authentication) == [.anonymous, .internalHashed])
        #expect(configuration.hosts[0].requireEncryption == false)
        #expect(configuration.muc.map(\.domain) == ["conference.meet.example.org"])
        #expect(configuration.muc[0].restrictRoomCreation && !configuration.muc[0].roomLocking)
        #expect(configuration.tenants?.muc == "conference.meet.example.org")
        let modules = try #require(prosody.section("conference.meet.example.org")?.option("modules_enabled"))
        #expect(modules.value.strings == ["muc_meeting_id", "muc_domain_mapper"])
        #expect(modules.location.description == "\(path):15")
        #expect(result.accountHosts == ["auth.meet.example.org"])
    }

    @Test("a statement over several lines is reported where it starts, each table entry where it is written")
    func lines() throws {
        let prosody = try Self.parse(
            """
            -- modules_enabled = { "commented out" }
            modules_enabled = {
                "ping";
                -- "bosh";
                "smacks"; "version";
                [[long]];
            }
            limits = {
                c2s = {
                    rate = "10kb/s";
                };
                s2sin = { rate = "30kb/s" };
            }
            local x = 1 gc = { mode = "incremental" }
            """
        )
        let modules = try #require(prosody.global.option("modules_enabled"))
        #expect(modules.location.line == 2)
        #expect(modules.value.table?.list.map(\.line) == [3, 5, 5, 6])
        let limits = try #require(prosody.global.option("limits"))
        #expect(limits.location.line == 8)
        #expect(limits.value.table?.fields.map { "\($0.key ?? ""):\($0.line)" } == ["c2s:9", "s2sin:12"])
        #expect(limits.value.table?["s2sin"]?.table?.entries.first?.line == 12)
        #expect(limits.value.table?["c2s"]?.table?.entries.first?.line == 10)
        #expect(prosody.global.option("gc")?.location.line == 14)
    }

    @Test("Include: a glob in the last component, sorted, dot files skipped, each file from the global section")
    func include() throws {
        let folder = try Self.folder([
            "prosody.cfg.lua": "VirtualHost \"main.example\"\nInclude \"conf.d/*.cfg.lua\"\nafter = true\n",
            "conf.d/b.cfg.lua": "VirtualHost \"b.example\"\n  b = 1\nInclude \"sub/extra.lua\"\n",
            "conf.d/a.cfg.lua": "a_global = 1\nComponent \"a.example\" \"muc\"\n  a = 1\n",
            "conf.d/.hidden.cfg.lua": "hidden = 1\n",
            "conf.d/notes.txt": "not lua at all (",
            "conf.d/sub/extra.lua": "extra = true\n",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let main = folder.appendingPathComponent("prosody.cfg.lua").path
        let prosody = try ProsodyConfiguration.read(path: main)
        let conf = folder.appendingPathComponent("conf.d").path
        #expect(prosody.files == [main, conf + "/a.cfg.lua", conf + "/b.cfg.lua", conf + "/sub/extra.lua"])
        #expect(prosody.sections.map(\.name) == ["main.example", "a.example", "b.example"])
        #expect(prosody.global.options.map(\.name) == ["a_global", "extra"])
        #expect(prosody.global.option("extra")?.location.description == conf + "/sub/extra.lua:1")
        #expect(prosody.section("b.example")?.option("b")?.location.description == conf + "/b.cfg.lua:2")
        // Back in the main file, the section it had open is still open.
        #expect(prosody.section("main.example")?.option("after")?.location.description == main + ":3")
        #expect(prosody.global.option("hidden") == nil)
    }

    @Test("RunScript runs a file with the globals as environment (Prosody's dofile), in the same sandbox")
    func runScript() throws {
        let folder = try Self.folder([
            "prosody.cfg.lua": "RunScript \"vars.lua\"\nVirtualHost(domain)\n  authentication = auth\n",
            "vars.lua": "domain = (\"Meet\"):lower() .. \".example\"\nauth = \"anonymous\"\n",
            "escape.cfg.lua": "RunScript \"io.lua\"\n",
            "io.lua": "\nreturn io.open(\"/etc/passwd\")\n",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let prosody = try ProsodyConfiguration.read(path: folder.appendingPathComponent("prosody.cfg.lua").path)
        #expect(prosody.sections.map(\.name) == ["meet.example"])
        #expect(prosody.section("meet.example")?.option("authentication")?.value == .string("anonymous"))
        #expect(prosody.global.options.isEmpty)  // the script's globals are no options, as in Prosody
        #expect {
            _ = try ProsodyConfiguration.read(path: folder.appendingPathComponent("escape.cfg.lua").path)
        } throws: { error in
            "\(error)".hasPrefix("\(folder.path)/io.lua:2: attempt to index a nil value (global 'io')")
        }
    }

    @Test("Include: a missing file, an Include loop and a syntax error in an included file name file and line")
    func includeErrors() throws {
        let folder = try Self.folder([
            "missing.cfg.lua": "admins = {}\nInclude \"nowhere.cfg.lua\"\n",
            "loop.cfg.lua": "x = 1\nInclude \"loop.cfg.lua\"\n",
            "syntax.cfg.lua": "Include \"conf.d/*.lua\"\n",
            "conf.d/broken.lua": "a = 1\nb = { \"unclosed\"\n\nc = 2\n",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        func error(_ name: String) -> String {
            do {
                _ = try ProsodyConfiguration.read(path: folder.appendingPathComponent(name).path)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        let base = folder.path
        #expect(
            error("missing.cfg.lua").hasPrefix(
                "\(base)/missing.cfg.lua:2: cannot read the included file \(base)/nowhere.cfg.lua"
            )
        )
        #expect(error("loop.cfg.lua").hasPrefix("\(base)/loop.cfg.lua:2: more than 256 files included"))
        #expect(error("syntax.cfg.lua").hasPrefix("\(base)/conf.d/broken.lua:4: '}' expected (to close '{' at line 2)"))
    }

    @Test(
        "errors in the configuration give its file and line",
        arguments: [
            ("a = 1\nb = = 2", "p.cfg.lua:2: unexpected symbol near '='"),
            ("a = 1\n\nVirtualHost(nil)", "p.cfg.lua:3: VirtualHost needs the host's name, as a string"),
            ("x = undefined_function()", "p.cfg.lua:1: attempt to call a nil value (global 'undefined_function')"),
            ("VirtualHost \"x.example\"\nComponent \"x.example\" \"muc\"", "p.cfg.lua:2: x.example is declared again"),
            ("VirtualHost \"x.example\" \"muc\"", "p.cfg.lua:1: VirtualHost takes no module name"),
            ("error({})", "p.cfg.lua:1: an error that is a table value"),
            ("s = \"open", "p.cfg.lua:1: unfinished string"),
        ]
    )
    func errors(text: String, expected: String) {
        let failure = Self.failure(text)
        #expect(failure.hasPrefix(expected), "\(failure)")
    }

    @Test("random text ends in a configuration or an error, never a trap: the sandbox and the line finder")
    func randomInput() {
        var generator = SystemRandomNumberGenerator()
        let pieces = [
            "{", "}", "[[", "]]", "\"", "'", "--", "--[[", "=", "\\", "x", "1", ".", "..", ";", ",", "\n", "[=[",
            "]=]", "VirtualHost \"h\" ", "Component \"c\" \"muc\"", "x = { ", "[\"k\"] = ", "local ", "ENV_X",
        ]
        for _ in 0..<1000 {
            let count = Int.random(in: 0...24, using: &generator)
            let text = (0..<count).map { _ in pieces.randomElement(using: &generator) ?? "" }.joined()
            if let prosody = try? Self.parse(text) {
                #expect(prosody.files == ["p.cfg.lua"])
            }
        }
    }

    // MARK: - The sandbox

    @Test(
        "what would reach files, processes, bytecode or the interpreter is refused, naming file and line",
        arguments: [
            ("a = 1\nf = io.open(\"/etc/passwd\")", "p.cfg.lua:2: attempt to index a nil value (global 'io')"),
            ("os.execute(\"touch /tmp/parley-escaped\")", "p.cfg.lua:1: attempt to call a nil value (field 'execute')"),
            ("x = require(\"io\")", "p.cfg.lua:1: attempt to call a nil value (global 'require')"),
            ("dofile(\"/etc/prosody/prosody.cfg.lua\")", "p.cfg.lua:1: attempt to call a nil value (global 'dofile')"),
            ("loadfile(\"/etc/passwd\")", "p.cfg.lua:1: attempt to call a nil value (global 'loadfile')"),
            ("f = string.dump(print)", "p.cfg.lua:1: attempt to call a nil value (field 'dump')"),
            ("f = (\"\").dump", "accepted"),  // reading it is harmless: it is nil
            ("x = debug.getinfo(1)", "p.cfg.lua:1: attempt to index a nil value (global 'debug')"),
            ("collectgarbage(\"stop\")", "p.cfg.lua:1: attempt to call a nil value (global 'collectgarbage')"),
            ("x = package.loaded", "p.cfg.lua:1: attempt to index a nil value (global 'package')"),
            (
                "x = assert(load(\"\\27Lua\\84\\0\\25\\147\\13\\10\\26\\10\"))",
                "p.cfg.lua:1: attempt to load a binary chunk"
            ),
            ("x = assert(load(\"\\27Lua\", \"b\", \"b\", {}))", "p.cfg.lua:1: attempt to load a binary chunk"),
            ("x = getmetatable(_ENV)", "accepted"),
            (
                "t = setmetatable({}, { __gc = function () while true do end end })",
                "p.cfg.lua:1: __gc metamethods are not allowed here",
            ),
        ]
    )
    func escapes(text: String, expected: String) {
        let failure = Self.failure(text)
        #expect(failure.hasPrefix(expected), "\(failure)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/parley-escaped"))
    }

    @Test("the sandbox's own functions and the environment's metatable are out of the configuration's reach")
    func hiddenInternals() throws {
        let prosody = try Self.parse(
            """
            meta = getmetatable(_ENV)
            primitives = primitives
            local found = {}
            for name in pairs(_G) do found[#found + 1] = name end
            table.sort(found)
            names = found
            """
        )
        #expect(prosody.global.option("meta")?.value == .boolean(false))
        #expect(prosody.global.option("primitives")?.value == .nil)
        let names = prosody.global.option("names")?.value.strings ?? []
        #expect(!names.isEmpty)
        for refused in ["io", "debug", "require", "dofile", "loadfile", "package", "collectgarbage"] {
            #expect(!names.contains(refused), "\(refused) is in _G")
        }
        #expect(names.contains("os") && names.contains("string") && names.contains("load"))
    }

    @Test(
        "a loop that never ends is stopped by the instruction limit, even under pcall, naming file and line",
        arguments: [
            "a = 1\nwhile true do end",
            "a = 1\nwhile true do pcall(function () while true do end end) end",
            "a = 1\nlocal function f() return f() end\nf()",
        ]
    )
    func runawayLoop(text: String) {
        let failure = Self.failure(text)
        #expect(failure.hasPrefix("p.cfg.lua:"), "\(failure)")
        #expect(failure.contains(": stopped after 20 million Lua instructions (a loop that never ends?)"), "\(failure)")
    }

    @Test("a 1 GB string is stopped by the memory cap, naming the file; so is a table that grows without end")
    func memoryCap() {
        let huge = Self.failure("a = 1\nhuge = string.rep(\"x\", 1 << 30)")
        // Lua unwinds a memory error without running the message handler: the file is named, not the line.
        #expect(huge.hasPrefix("p.cfg.lua: stopped: it needs more than 64 MB of memory"), "\(huge)")
        let growing = Self.failure(
            "local t = {}\nfor i = 1, 1e9 do t[i] = tostring(i) .. \"padding to use memory\" end"
        )
        #expect(growing.hasPrefix("p.cfg.lua"), "\(growing)")
        #expect(growing.contains(": stopped: it needs more than 64 MB of memory"), "\(growing)")
    }

    @Test("values Parley cannot take are errors with the option's line: cycles, functions are carried as such")
    func values() throws {
        #expect(
            Self.failure("a = 1\nlocal t = {}\nt.self = t\nx = t").hasPrefix(
                "p.cfg.lua:4: a table that contains itself"
            )
        )
        #expect(Self.failure("x = \"\\255\"").hasPrefix("p.cfg.lua:1: a string that is not UTF-8 text"))
        let prosody = try Self.parse("f = function () end\nn = 3 // 2\nh = 2^53\nm = { [5] = \"five\", [true] = 1 }")
        #expect(prosody.global.option("f")?.value == .other("function"))
        #expect(prosody.global.option("n")?.value.integer == 1)
        #expect(prosody.global.option("h")?.value == .number(9_007_199_254_740_992))
        #expect(prosody.global.option("m")?.value.table?.fields.compactMap(\.key).sorted() == ["5", "true"])
    }

    // MARK: - Real configurations

    @Test(
        "Debian's stock /etc/prosody/prosody.cfg.lua converts to a YAML the loader accepts",
        .enabled(if: FileManager.default.isReadableFile(atPath: "/etc/prosody/prosody.cfg.lua"))
    )
    func debianStockConfiguration() throws {
        let prosody = try ProsodyConfiguration.read(path: "/etc/prosody/prosody.cfg.lua")
        #expect(prosody.files.first == "/etc/prosody/prosody.cfg.lua")
        #expect(prosody.virtualHosts.contains { $0.name == "localhost" })
        #expect(prosody.global.option("authentication")?.value == .string("internal_hashed"))
        let modules = try #require(prosody.global.option("modules_enabled")?.value.strings)
        #expect(modules.contains("disco") && modules.contains("posix"))
        let result = ProsodyConverter.convert(prosody, dataDirectory: "data")
        let outcome = ConfigurationLoader.parse(yaml: result.yaml, path: "parley.yaml", environment: [:])
        #expect(outcome.errors.isEmpty, "\(outcome.errors)")
        #expect(outcome.configuration?.hosts.contains { $0.domain == "localhost" } == true)
        #expect(
            result.notes.contains {
                $0.description.hasPrefix("/etc/prosody/prosody.cfg.lua:") && $0.subject == "pidfile"
            }
        )
    }

    // MARK: - Account files

    @Test("account files run with an empty environment: data only, in text mode, within the limits")
    func accountFiles() throws {
        let good = "return {\n\t[\"salt\"] = \"s\";\n\t[\"iteration_count\"] = 10000;\n};\n"
        let value = try LuaSandbox(limits: .data).evaluateData(good, file: "a.dat")
        #expect(value.table?["salt"] == .string("s"))
        #expect(value.table?["iteration_count"]?.integer == 10000)
        func failure(_ text: String) -> String {
            do {
                _ = try LuaSandbox(limits: .data).evaluateData(text, file: "a.dat")
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(failure("return {\n os.exit(1) }").hasPrefix("a.dat:2: attempt to index a nil value (global 'os')"))
        #expect(
            failure("return string.rep('x', 10)").hasPrefix("a.dat:1: attempt to index a nil value (global 'string')")
        )
        #expect(failure("while true do end").contains("a.dat:1: stopped after 1 million Lua instructions"))
        #expect(failure("\u{1B}Lua").hasPrefix("a.dat: attempt to load a binary chunk (mode is 't')"))
        #expect(failure("return {\n[\"salt\"] = ;\n}").hasPrefix("a.dat:2: unexpected symbol near ';'"))
        let growing = failure("local t = {} for i = 1, 1e9 do t[i] = i .. \"abcdefghijklmnopqrstuvwxyz\" end")
        #expect(growing.hasPrefix("a.dat") && growing.contains(": stopped: it needs more than 8 MB"), "\(growing)")
    }
}
