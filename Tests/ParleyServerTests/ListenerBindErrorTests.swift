import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import ParleyServer

/// A listener that cannot bind says which listener, where, and who holds the port (issue 14.6).
@Suite("Listener bind errors")
struct ListenerBindErrorTests {
    @Test("a port the test holds: the error names the c2s listener, its address and port, and this process")
    func portHeldByThisProcess() throws {
        // A hundred more listeners make /proc/net/tcp longer than the one page Foundation's readers return.
        let others = try (0..<100).map { _ in
            try ServerBootstrap(group: TestServer.group).bind(host: "127.0.0.1", port: 0).wait()
        }
        defer { for other in others { try? other.close().wait() } }
        let holder = try ServerBootstrap(group: TestServer.group)
            .bind(host: "127.0.0.1", port: 0).wait()
        defer { try? holder.close().wait() }
        let port = try #require(holder.localAddress?.port)
        do {
            let server = try TestServer(configure: { $0.c2sPort = port })
            server.shutdown()
            Issue.record("the server started on a held port")
        } catch let error as ListenerBindError {
            #expect(error.role == "c2s (STARTTLS)")
            #expect(error.address == "127.0.0.1" && error.port == port)
            #expect(error.errno == EADDRINUSE)
            #expect(error.holders.map(\.pid) == [getpid()])
            let text = error.description
            #expect(text.hasPrefix("cannot listen for c2s (STARTTLS) on 127.0.0.1:\(port): "))
            #expect(text.contains("It is held by \(error.holders.first?.name ?? "?") (pid \(getpid())"))
            #expect(text.contains("`kill \(getpid())`"))
        }
    }

    @Test("/proc/net/tcp rows: only LISTEN sockets on the port count")
    func listeningInodes() {
        let table = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:1466 00000000:0000 0A 00000000:00000000 00:00000000 00000000   107        0 41234 1 0
               1: 00000000:1466 00000000:0000 0A 00000000:00000000 00:00000000 00000000   107        0 41235 1 0
               2: 0100007F:1466 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000   107        0 41236 1 0
               3: 0100007F:14A0 00000000:0000 0A 00000000:00000000 00:00000000 00000000   107        0 41237 1 0
            """
        #expect(PortHolder.listeningInodes(inTable: table, port: 5222) == ["41234", "41235"])
        #expect(PortHolder.listeningInodes(inTable: table, port: 5280) == ["41237"])
        #expect(PortHolder.listeningInodes(inTable: "garbage\n1 2 3", port: 1).isEmpty)
    }

    @Test("Prosody, natively and in a container, gets the matching advice")
    func advice() {
        let native = PortHolder(pid: 812, name: "lua5.4", commandLine: "lua5.4 /usr/bin/prosody", inContainer: false)
        #expect(native.stopAdvice.contains("systemctl stop prosody"))
        let docker = PortHolder(pid: 90, name: "prosody", commandLine: "", inContainer: true)
        #expect(docker.stopAdvice.contains("docker compose stop prosody"))
        #expect(native.description == "lua5.4 (pid 812, lua5.4 /usr/bin/prosody)")
    }
}
