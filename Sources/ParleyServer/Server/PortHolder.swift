import Foundation

/// A process that listens on a TCP port, as far as this process can see it in Linux's `/proc`, so a failed
/// bind can say who is in the way ("prosody (pid 812)") and how to stop it.
///
/// `/proc/net/tcp` and `/proc/net/tcp6` list sockets with their local address (hex `IP:PORT`), state (`0A` is
/// LISTEN) and inode (proc(5)); a process holding one has a link `socket:[inode]` in `/proc/<pid>/fd/`. Only
/// the processes whose `fd` folder this process may read are found (all of them as root, its own user's
/// otherwise); an empty answer means "not visible", not "free".
public struct PortHolder: Sendable, Hashable, CustomStringConvertible {
    public var pid: Int32
    /// `/proc/<pid>/comm`: `prosody`, `lua5.4`, `parley`.
    public var name: String
    /// `/proc/<pid>/cmdline` with spaces for NULs, for telling `lua5.4 /usr/bin/prosody` apart.
    public var commandLine: String
    /// Whether its cgroup names docker or containerd (a container's Prosody).
    public var inContainer: Bool

    public var description: String {
        let command = self.commandLine.isEmpty || self.commandLine == self.name ? "" : ", \(self.commandLine)"
        return "\(self.name) (pid \(self.pid)\(command))"
    }

    /// Whether this is Prosody, run directly or by its Lua interpreter.
    public var isProsody: Bool {
        self.name == "prosody" || self.commandLine.contains("prosody")
    }

    /// How to stop it, in the words an operator types.
    public var stopAdvice: String {
        if self.isProsody && self.inContainer {
            return "stop the prosody container (`docker compose stop prosody`, then remove it from docker-compose.yml)"
        }
        if self.isProsody {
            return "stop it with `systemctl stop prosody` (and `systemctl disable prosody` so it stays off after a "
                + "reboot)"
        }
        if self.name == "parley" { return "another Parley is running: stop it, or give this one other ports" }
        return "stop it (`kill \(self.pid)`) or choose another port in `listen`"
    }

    /// The processes listening on TCP `port` (any address), read from `procRoot` (a test may pass another).
    public static func find(port: Int, procRoot: String = "/proc") -> [PortHolder] {
        var inodes: Set<String> = []
        for table in ["net/tcp", "net/tcp6"] {
            guard let data = self.read("\(procRoot)/\(table)") else { continue }
            inodes.formUnion(self.listeningInodes(inTable: String(decoding: data, as: UTF8.self), port: port))
        }
        guard !inodes.isEmpty else { return [] }
        let manager = FileManager.default
        var holders: [PortHolder] = []
        for entry in (try? manager.contentsOfDirectory(atPath: procRoot)) ?? [] {
            guard let pid = Int32(entry) else { continue }
            let fdFolder = "\(procRoot)/\(entry)/fd"
            guard let descriptors = try? manager.contentsOfDirectory(atPath: fdFolder) else { continue }
            let holds = descriptors.contains { descriptor in
                guard let target = try? manager.destinationOfSymbolicLink(atPath: "\(fdFolder)/\(descriptor)"),
                    target.hasPrefix("socket:["), target.hasSuffix("]")
                else { return false }
                return inodes.contains(String(target.dropFirst(8).dropLast()))
            }
            guard holds else { continue }
            let name =
                self.read("\(procRoot)/\(entry)/comm").map { String(decoding: $0, as: UTF8.self) }?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            let commandLine = (self.read("\(procRoot)/\(entry)/cmdline") ?? Data())
                .split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
                .map { $0.isNewline || $0 == "\t" ? " " : $0 }
            let cgroup = self.read("\(procRoot)/\(entry)/cgroup").map { String(decoding: $0, as: UTF8.self) } ?? ""
            holders.append(
                PortHolder(
                    pid: pid,
                    name: name,
                    commandLine: String(commandLine.prefix(200)),
                    inContainer: cgroup.contains("docker") || cgroup.contains("containerd")
                )
            )
        }
        return holders.sorted { $0.pid < $1.pid }
    }

    /// A whole file, read to its end: `/proc` files report size 0, and Foundation's `Data(contentsOf:)` and
    /// `String(contentsOfFile:)` stop after the first page of them (a busy server's `/proc/net/tcp` is longer).
    static func read(_ path: String) -> Data? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return try? handle.readToEnd()
    }

    /// The inodes of LISTEN sockets on `port` in one `/proc/net/tcp{,6}` table.
    static func listeningInodes(inTable text: String, port: Int) -> Set<String> {
        var inodes: Set<String> = []
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 9, fields[3] == "0A",
                let colon = fields[1].lastIndex(of: ":"),
                Int(fields[1][fields[1].index(after: colon)...], radix: 16) == port,
                fields[9] != "0"
            else { continue }
            inodes.insert(String(fields[9]))
        }
        return inodes
    }
}
