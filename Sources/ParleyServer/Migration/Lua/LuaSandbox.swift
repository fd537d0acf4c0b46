internal import CLua

/// Debian's Lua 5.4 (`liblua5.4-dev`) run with limits, for reading Prosody's configurations and data files as
/// Prosody reads them: by running them.
///
/// The limits: an allocator that refuses memory past `Limits.memoryBytes` (Lua raises "not enough memory"), a
/// count hook (`lua_sethook`, `LUA_MASKCOUNT`) that stops a run past `Limits.instructions` naming the file and
/// line, text chunks only (no bytecode), and no io, os (but `os.getenv`), package, debug, dofile, loadfile or
/// string.dump. Everything that can raise a Lua error runs in C inside `lua_pcall` (`Sources/CLua/shim.h`);
/// Swift only starts the protected calls and then reads the results with functions that never raise, so no
/// `longjmp` crosses a Swift frame.
///
/// Files are chunks named `=#N` (N counts the files of one run), so every position Lua reports (`#N:line:`) maps
/// back to the file's full path, which Lua would shorten.
final class LuaSandbox {
    struct Limits: Sendable {
        var memoryBytes: Int
        var instructions: Int

        /// For configurations: Prosody's run in well under a megabyte and a hundred thousand instructions.
        static let configuration = Limits(memoryBytes: 64 << 20, instructions: 20_000_000)
        /// For account files, a few hundred bytes each.
        static let data = Limits(memoryBytes: 8 << 20, instructions: 1_000_000)
    }

    /// What a configuration's run gave: the files read (chunk N is `files[N - 1]`), their texts, and the events
    /// the environment script recorded (`ProsodyEnvironmentScript`), each a table.
    struct ConfigurationRun {
        var files: [String]
        var texts: [String]
        var events: [[LuaValue]]
    }

    /// The most table entries read from one run, and how deep tables may nest.
    static let maximumEntries = 100_000
    static let maximumDepth = 32

    private let state: OpaquePointer
    let limits: Limits

    init(limits: Limits) throws(LuaError) {
        guard
            let state = CLua_open(
                limits.memoryBytes > 0 ? limits.memoryBytes : 0,
                Int64(max(limits.instructions, 1))
            )
        else {
            throw LuaError(file: "Lua", line: 0, message: "cannot start Lua 5.4 (out of memory)")
        }
        self.state = state
        self.limits = limits
    }

    deinit {
        CLua_close(self.state)
    }

    // MARK: - Running

    /// Runs a data file (`return { … };`, Prosody's `util/datamanager.lua`) with an empty environment and
    /// returns the value it returns.
    func evaluateData(_ text: String, file: String) throws(LuaError) -> LuaValue {
        let status = Self.withTexts([Array(text.utf8)]) { CLua_runData(self.state, $0) }
        CLua_liftLimits(self.state)
        guard status == LUA_OK else { throw self.error(status: status, files: [file]) }
        var budget = Self.maximumEntries
        do {
            return try self.value(at: -1, depth: 0, seen: [], budget: &budget)
        } catch {
            throw LuaError(file: file, line: 0, message: error.message)
        }
    }

    /// Runs the environment `script`, then the configuration `text` of `path` in it (`folder` resolves its
    /// Includes).
    func evaluateConfiguration(
        script: String,
        path: String,
        folder: String,
        text: [UInt8]
    ) throws(LuaError) -> ConfigurationRun {
        let arguments = [Array(script.utf8), Array(path.utf8), Array(folder.utf8), text]
        let status = Self.withTexts(arguments) { CLua_runConfiguration(self.state, $0) }
        CLua_liftLimits(self.state)
        guard status == LUA_OK else { throw self.error(status: status, files: self.files(main: path)) }
        let files = self.strings(at: 1)
        let texts = self.strings(at: 2)
        var events: [[LuaValue]] = []
        var budget = Self.maximumEntries
        var index: Int64 = 1
        while lua_rawgeti(self.state, 3, index) == LUA_TTABLE {
            var fields: [LuaValue] = []
            var field: Int64 = 1
            // Events are { kind, …, value }: the value last, so a nil value only shortens the list.
            while field <= 7 {
                lua_rawgeti(self.state, -1, field)
                let chunk = fields.count > 3 ? fields[3].integer : nil
                let line = fields.count > 4 ? fields[4].integer : nil
                do {
                    fields.append(try self.value(at: -1, depth: 0, seen: [], budget: &budget))
                } catch {
                    let file = chunk.flatMap { files.indices.contains($0 - 1) ? files[$0 - 1] : nil } ?? path
                    throw LuaError(file: file, line: line ?? 0, message: error.message)
                }
                CLua_pop(self.state, 1)
                field += 1
            }
            while fields.last == .nil { fields.removeLast() }
            events.append(fields)
            CLua_pop(self.state, 1)
            index += 1
        }
        lua_settop(self.state, 0)
        return ConfigurationRun(files: files, texts: texts, events: events)
    }

    /// Hands `texts` to C as `CLua_Text`s, without copying them into Lua outside a protected call.
    private static func withTexts(_ buffers: [[UInt8]], _ body: (UnsafePointer<CLua_Text>) -> Int32) -> Int32 {
        func nest(_ index: Int, _ built: [CLua_Text]) -> Int32 {
            guard index < buffers.count else {
                return built.withUnsafeBufferPointer { pointer in
                    guard let base = pointer.baseAddress else { return LUA_ERRRUN }
                    return body(base)
                }
            }
            return buffers[index].withUnsafeBufferPointer { bytes in
                let start = UnsafeRawPointer(bytes.baseAddress ?? Self.emptyText).assumingMemoryBound(to: CChar.self)
                return nest(index + 1, built + [CLua_Text(bytes: start, count: bytes.count)])
            }
        }
        return nest(0, [])
    }

    private static var emptyText: UnsafePointer<UInt8> { ("" as StaticString).utf8Start }

    // MARK: - Errors

    /// The files of the failed run, from the sandbox's table (chunk N at N - 1); `main` when there is none.
    private func files(main: String) -> [String] {
        CLua_pushFiles(self.state)
        let files = lua_type(self.state, -1) == LUA_TTABLE ? self.strings(at: lua_gettop(self.state)) : []
        CLua_pop(self.state, 1)
        return files.isEmpty ? [main] : files
    }

    /// The error on the stack as file, line and message: `#N:line: message` names chunk N.
    private func error(status: Int32, files: [String]) -> LuaError {
        let main = files.first ?? "Lua"
        if status == LUA_ERRMEM {
            let chunk = Int(CLua_currentChunk(self.state))
            lua_settop(self.state, 0)
            return LuaError(
                file: files.indices.contains(chunk - 1) ? files[chunk - 1] : main,
                line: 0,
                message: self.memoryMessage
            )
        }
        var length = 0
        let message =
            CLua_toString(self.state, -1, &length).map {
                String(decoding: UnsafeRawBufferPointer(start: $0, count: length), as: UTF8.self)
            } ?? "an error Lua did not describe"
        lua_settop(self.state, 0)
        let positioned = Self.position(message)
        var text = positioned?.text ?? message
        if CLua_memoryExceeded(self.state) != 0 && text.hasSuffix("not enough memory") {
            text = self.memoryMessage
        }
        guard let positioned else { return LuaError(file: main, line: 0, message: text) }
        let file = files.indices.contains(positioned.chunk - 1) ? files[positioned.chunk - 1] : main
        return LuaError(file: file, line: positioned.line, message: text)
    }

    private var memoryMessage: String {
        "stopped: it needs more than \(self.limits.memoryBytes >> 20) MB of memory (Parley's limit for reading it)"
    }

    /// Splits `#N:line: text`.
    static func position(_ message: String) -> (chunk: Int, line: Int, text: String)? {
        guard message.hasPrefix("#") else { return nil }
        let parts = message.dropFirst().split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let chunk = Int(parts[0]), let line = Int(parts[1]) else { return nil }
        let text = parts[2].hasPrefix(" ") ? parts[2].dropFirst() : parts[2]
        return (chunk, line, String(text))
    }

    // MARK: - Reading values (never raises: only type checks, raw reads and lua_next over the table's own keys)

    struct ValueError: Error {
        var message: String
    }

    /// The strings of the sequence of the table at `index`.
    private func strings(at index: Int32) -> [String] {
        var out: [String] = []
        var position: Int64 = 1
        while lua_rawgeti(self.state, index, position) == LUA_TSTRING {
            var length = 0
            if let bytes = CLua_toString(self.state, -1, &length) {
                out.append(String(decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self))
            }
            CLua_pop(self.state, 1)
            position += 1
        }
        CLua_pop(self.state, 1)
        return out
    }

    private func value(
        at relative: Int32,
        depth: Int,
        seen: [UnsafeRawPointer],
        budget: inout Int
    ) throws(ValueError) -> LuaValue {
        let index = lua_absindex(self.state, relative)
        switch lua_type(self.state, index) {
        case LUA_TNIL, LUA_TNONE:
            return .nil
        case LUA_TBOOLEAN:
            return .boolean(lua_toboolean(self.state, index) != 0)
        case LUA_TNUMBER:
            if lua_isinteger(self.state, index) != 0 { return .number(Double(lua_tointegerx(self.state, index, nil))) }
            return .number(lua_tonumberx(self.state, index, nil))
        case LUA_TSTRING:
            var length = 0
            guard let bytes = CLua_toString(self.state, index, &length),
                let text = String(validating: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self)
            else { throw ValueError(message: "a string that is not UTF-8 text") }
            return .string(text)
        case LUA_TTABLE:
            return .table(try self.table(at: index, depth: depth, seen: seen, budget: &budget))
        default:
            return .other(String(cString: lua_typename(self.state, lua_type(self.state, index))))
        }
    }

    private func table(
        at index: Int32,
        depth: Int,
        seen: [UnsafeRawPointer],
        budget: inout Int
    ) throws(ValueError) -> LuaTable {
        guard depth < Self.maximumDepth else {
            throw ValueError(message: "tables nested more than \(Self.maximumDepth) deep")
        }
        guard let pointer = lua_topointer(self.state, index), !seen.contains(pointer) else {
            throw ValueError(message: "a table that contains itself")
        }
        guard lua_checkstack(self.state, 4) != 0 else { throw ValueError(message: "tables nested too deep") }
        let top = lua_gettop(self.state)
        defer { lua_settop(self.state, top) }
        var numbered: [(key: Int64, value: LuaValue)] = []
        var named: [(key: String, value: LuaValue)] = []
        lua_pushnil(self.state)
        while lua_next(self.state, index) != 0 {
            budget -= 1
            guard budget >= 0 else { throw ValueError(message: "more than \(Self.maximumEntries) table entries") }
            let value = try self.value(at: -1, depth: depth + 1, seen: seen + [pointer], budget: &budget)
            switch lua_type(self.state, -2) {
            case LUA_TNUMBER where lua_isinteger(self.state, -2) != 0:
                numbered.append((lua_tointegerx(self.state, -2, nil), value))
            case LUA_TSTRING:
                guard case .string(let key) = try self.value(at: -2, depth: depth + 1, seen: [], budget: &budget)
                else { throw ValueError(message: "a key that is not UTF-8 text") }
                named.append((key, value))
            case LUA_TNUMBER:
                named.append((String(lua_tonumberx(self.state, -2, nil)), value))
            case LUA_TBOOLEAN:
                named.append((lua_toboolean(self.state, -2) != 0 ? "true" : "false", value))
            default:
                named.append(("(\(String(cString: lua_typename(self.state, lua_type(self.state, -2)))))", value))
            }
            CLua_pop(self.state, 1)
        }
        numbered.sort { $0.key < $1.key }
        var entries: [LuaTable.Entry] = []
        for (key, value) in numbered {
            if key == Int64(entries.count) + 1 {
                entries.append(LuaTable.Entry(key: nil, value: value, line: 0))
            } else {
                named.append((String(key), value))
            }
        }
        for (key, value) in named.sorted(by: { $0.key < $1.key }) {
            entries.append(LuaTable.Entry(key: key, value: value, line: 0))
        }
        return LuaTable(entries: entries)
    }
}
