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

    /// The most files one configuration may include, a guard against include loops.
    static let maximumFiles = 256

    /// Reads the main file at `path` and every file it includes.
    public static func read(path: String) throws(LuaSubsetError) -> ProsodyConfiguration {
        let mainDirectory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var configuration = ProsodyConfiguration(
            global: Section(kind: .global, name: "*", location: Location(file: path, line: 1))
        )
        try configuration.readFile(path, includeBase: mainDirectory, includedFrom: nil)
        return configuration
    }

    /// Reads configuration text directly (tests); `Include` is resolved against `includeBase`.
    public static func parse(
        _ text: String,
        file: String,
        includeBase: String
    ) throws(LuaSubsetError)
        -> ProsodyConfiguration
    {
        var configuration = ProsodyConfiguration(
            global: Section(kind: .global, name: "*", location: Location(file: file, line: 1))
        )
        configuration.files.append(file)
        try configuration.apply(LuaSubsetParser.parse(text, file: file), file: file, includeBase: includeBase)
        return configuration
    }

    private mutating func readFile(_ path: String, includeBase: String, includedFrom: Location?) throws(LuaSubsetError)
    {
        guard self.files.count < Self.maximumFiles else {
            throw LuaSubsetError(
                file: includedFrom?.file ?? path,
                line: includedFrom?.line ?? 0,
                message: "more than \(Self.maximumFiles) files included (an Include loop?)"
            )
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw LuaSubsetError(
                file: includedFrom?.file ?? path,
                line: includedFrom?.line ?? 0,
                message: "cannot read \(path): \((error as NSError).localizedDescription)"
            )
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw LuaSubsetError(file: path, line: 0, message: "the file is not UTF-8 text")
        }
        self.files.append(path)
        try self.apply(LuaSubsetParser.parse(text, file: path), file: path, includeBase: includeBase)
    }

    private mutating func apply(
        _ statements: [LuaStatement],
        file: String,
        includeBase: String
    )
        throws(LuaSubsetError)
    {
        var current: Int? = nil  // index into sections; nil is the global section
        for statement in statements {
            switch statement {
            case .assignment(let name, let value, let line):
                let option = Option(name: name, value: value, location: Location(file: file, line: line))
                if let current {
                    self.sections[current].options.append(option)
                } else {
                    self.global.options.append(option)
                }
            case .call("Include", let arguments, let line):
                let location = Location(file: file, line: line)
                for path in try Self.expand(arguments.first ?? "", base: includeBase, from: location) {
                    try self.readFile(path, includeBase: includeBase, includedFrom: location)
                }
            case .call(let function, let arguments, let line):
                let name = arguments.first ?? ""
                let kind: Section.Kind =
                    function == "VirtualHost" ? .virtualHost : .component(module: arguments.dropFirst().first)
                if let index = self.sections.firstIndex(where: { $0.name == name }) {
                    if self.sections[index].kind != kind {
                        throw LuaSubsetError(
                            file: file,
                            line: line,
                            message: "\(name) is declared again as another kind of section (first at "
                                + "\(self.sections[index].location))"
                        )
                    }
                    current = index
                } else {
                    self.sections.append(Section(kind: kind, name: name, location: Location(file: file, line: line)))
                    current = self.sections.count - 1
                }
            case .return(_, let line):
                throw LuaSubsetError(file: file, line: line, message: "'return' has no place in a configuration")
            }
        }
    }

    /// The files an `Include` names: a path relative to the main file's folder, with `*` and `?` in its last
    /// component (Prosody globs only there), in sorted order. A pattern that matches nothing is no error, as in
    /// Prosody; a plain path that does not exist is.
    static func expand(_ pattern: String, base: String, from location: Location) throws(LuaSubsetError) -> [String] {
        let path = pattern.hasPrefix("/") ? pattern : URL(fileURLWithPath: base).appendingPathComponent(pattern).path
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        guard name.contains("*") || name.contains("?") else { return [path] }
        let directory = url.deletingLastPathComponent().path
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return entries.filter { Self.matches(Array($0.utf8)[...], Array(name.utf8)[...]) }.sorted()
            .map { URL(fileURLWithPath: directory).appendingPathComponent($0).path }
    }

    /// Shell-style matching of `*` and `?` (no character classes), iterative so no input can recurse deeply.
    static func matches(_ text: ArraySlice<UInt8>, _ pattern: ArraySlice<UInt8>) -> Bool {
        let text = Array(text)
        let pattern = Array(pattern)
        var t = 0
        var p = 0
        var star: Int? = nil
        var resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t] {
                t += 1
                p += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p
                resume = t
                p += 1
            } else if let star {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}
