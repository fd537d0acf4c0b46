import Foundation

/// A Prosody configuration as its files declare it: global options, then `VirtualHost` and `Component`
/// sections with their own options, gathered from the main file and every file it `Include`s
/// (Prosody's `core/configmanager.lua`).
///
/// Each file starts in the global section, as in Prosody, where every loaded file runs with the current host
/// reset to `"*"`; options after `VirtualHost "h"` belong to `h` until the next section statement. A section
/// opened twice (in two files) is one section. Options keep the file and line of their last assignment.
public struct ProsodyConfiguration: Sendable {
    /// Where something was written.
    public struct Location: Sendable, Hashable, CustomStringConvertible {
        public var file: String
        public var line: Int

        public var description: String { "\(self.file):\(self.line)" }
    }

    /// One `name = value`.
    public struct Option: Sendable {
        public var name: String
        public var value: LuaValue
        public var location: Location
    }

    /// The global section, a `VirtualHost` or a `Component`.
    public struct Section: Sendable {
        public enum Kind: Sendable, Equatable {
            case global
            case virtualHost
            /// A `Component "host" "module"`; nil module for an external component (`component_secret`).
            case component(module: String?)
        }

        public var kind: Kind
        /// The host; `*` for the global section.
        public var name: String
        public var location: Location
        public var options: [Option] = []

        /// The last assignment of `name` in this section.
        public func option(_ name: String) -> Option? {
            self.options.last { $0.name == name }
        }

        /// The component's module, or nil for hosts and the global section.
        public var module: String? {
            if case .component(let module) = self.kind { return module }
            return nil
        }
    }

    /// Options outside any section.
    public var global: Section
    /// `VirtualHost` and `Component` sections in the order they first appear.
    public var sections: [Section] = []
    /// Every file read, main file first.
    public var files: [String] = []

    public var virtualHosts: [Section] { self.sections.filter { $0.kind == .virtualHost } }
    public var components: [Section] { self.sections.filter { $0.kind != .virtualHost } }

    /// The section of `host`, or nil.
    public func section(_ host: String) -> Section? {
        self.sections.first { $0.name == host }
    }

    /// An option as Prosody resolves it for `section`: the section's own value, else the global one.
    public func option(_ name: String, in section: Section?) -> Option? {
        section?.option(name) ?? self.global.option(name)
    }

    // MARK: - Reading

    /// Reads the main file at `path` and every file it includes, by running them in `LuaSandbox` as Prosody runs
    /// them (`ProsodyEnvironmentScript`).
    public static func read(path: String) throws(LuaError) -> ProsodyConfiguration {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw LuaError(file: path, line: 0, message: "cannot read it (no such file, or no permission)")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: Self.maximumFileBytes + 1) ?? Data()
        } catch {
            throw LuaError(file: path, line: 0, message: "cannot read it: \((error as NSError).localizedDescription)")
        }
        guard data.count <= Self.maximumFileBytes else {
            throw LuaError(file: path, line: 0, message: "larger than 4 MB: not a Prosody configuration")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try Self.run(Array(data), file: path, folder: folder)
    }

    /// The largest file read, as for included files (`CLUA_MAXIMUM_FILE_BYTES`).
    static let maximumFileBytes = 4 * 1024 * 1024

    /// Reads configuration text directly (tests); `Include` is resolved against `includeBase`.
    public static func parse(
        _ text: String,
        file: String,
        includeBase: String
    ) throws(LuaError)
        -> ProsodyConfiguration
    {
        try Self.run(Array(text.utf8), file: file, folder: includeBase)
    }

    private static func run(_ text: [UInt8], file: String, folder: String) throws(LuaError) -> ProsodyConfiguration {
        let sandbox = try LuaSandbox(limits: .configuration)
        let run = try sandbox.evaluateConfiguration(
            script: ProsodyEnvironmentScript.text,
            path: file,
            folder: folder,
            text: text
        )
        var configuration = ProsodyConfiguration(
            global: Section(kind: .global, name: "*", location: Location(file: file, line: 1))
        )
        configuration.files = run.files
        try configuration.apply(run)
        return configuration
    }

    /// Builds the sections from the events the environment script recorded, in the order they happened.
    private mutating func apply(_ run: LuaSandbox.ConfigurationRun) throws(LuaError) {
        let sources = run.texts.map(LuaSourceLines.init(text:))
        /// The last line an event happened at, per chunk: a statement starts after it.
        var boundaries: [Int: Int] = [:]
        func location(_ chunk: Int?, _ line: Int?) -> Location {
            let chunk = chunk ?? 0
            return Location(file: run.files.indices.contains(chunk - 1) ? run.files[chunk - 1] : "?", line: line ?? 0)
        }
        for event in run.events {
            let kind = event.first?.string ?? ""
            let name = event.count > 1 ? event[1].string ?? "" : ""
            switch kind {
            case "host", "component":
                let chunk = event.count > 2 ? event[2].integer : nil
                let line = event.count > 3 ? event[3].integer : nil
                if self.sections.firstIndex(where: { $0.name == name }) == nil {
                    self.sections.append(
                        Section(
                            kind: kind == "host" ? .virtualHost : .component(module: nil),
                            name: name,
                            location: location(chunk, line)
                        )
                    )
                }
                if let chunk, let line { boundaries[chunk] = line }
            case "module":
                let module = event.count > 2 ? event[2].string : nil
                if let index = self.sections.firstIndex(where: { $0.name == name }) {
                    self.sections[index].kind = .component(module: module == "component" ? nil : module)
                }
            case "option":
                let key = event.count > 2 ? event[2].string ?? "" : ""
                let chunk = event.count > 3 ? event[3].integer ?? 0 : 0
                let end = event.count > 4 ? event[4].integer ?? 0 : 0
                let assigned = event.count > 5 && event[5].string == "assign"
                let value = event.count > 6 ? event[6] : .nil
                var where_ = location(chunk, end)
                var resolved = value
                if sources.indices.contains(chunk - 1) {
                    let source = sources[chunk - 1]
                    if assigned {
                        let after = boundaries[chunk].map { $0 + 1 } ?? 1
                        where_.line = source.firstAssignment(of: key, from: after, through: end) ?? end
                        resolved = source.locate(value, from: where_.line, through: end)
                    } else {
                        // `VirtualHost "h" { key = … }`: Lua gives the call's line; the key is below it.
                        let last = end + Self.maximumTableFormLines
                        where_.line = source.firstAssignment(of: key, from: end, through: last) ?? end
                        resolved = source.locate(value, from: where_.line, through: last)
                    }
                }
                boundaries[chunk] = assigned ? end : max(boundaries[chunk] ?? 0, where_.line)
                let option = Option(name: key, value: resolved, location: where_)
                if name == "*" {
                    self.global.options.append(option)
                } else if let index = self.sections.firstIndex(where: { $0.name == name }) {
                    self.sections[index].options.append(option)
                } else {
                    throw LuaError(
                        file: where_.file,
                        line: where_.line,
                        message: "\(key) is set for \(name), which no VirtualHost or Component declares"
                    )
                }
            default:
                continue
            }
        }
    }

    /// How far below `VirtualHost "h" {` its options' entries are looked for.
    static let maximumTableFormLines = 1000
}
