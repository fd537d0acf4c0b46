import Foundation
import Logging
import ParleyCore
import ParleyMUC

/// Everything `parley serve` reads from its YAML file, with a default for every key.
///
/// The defaults are the Jitsi preset (`jitsiPreset`): a file that says nothing gives the values below, and a key
/// that is missing from a file takes its value from here. Each section is a nested struct with its own defaults,
/// so a new section (`muc`, `components`) is one more struct and one more parse function.
///
/// ```yaml
/// data_directory: ./data
/// log_level: info
/// listen: { address: 127.0.0.1, c2s_port: 5222 }
/// hosts:
///   - { domain: meet.jitsi, authentication: anonymous }
///   - { domain: auth.meet.jitsi, authentication: internal_hashed }
/// ```
///
/// `ConfigurationLoader` turns a file into this value and reports every problem with its line and column;
/// `Docs/Configuration.md` describes each key.
public struct ServerConfiguration: Sendable, Equatable {
    /// `data_directory`: where the SQLite account store and the self-signed certificate live.
    public var dataDirectory: String
    /// `log_level`: trace, debug, info, notice, warning, error or critical.
    public var logLevel: Logger.Level
    /// `log_addresses`: whether client IP addresses may appear in logs (privacy: off).
    public var logAddresses: Bool
    /// `log_room_names`: whether room names may appear in logs (privacy: off).
    public var logRoomNames: Bool
    /// `event_loops`: the number of NIO event loops; 0 means one per core.
    public var eventLoops: Int
    /// `listen`: addresses and ports.
    public var listen: Listen
    /// `tls`: the certificate and key.
    public var tls: TLS
    /// `c2s`: client-to-server stream limits and policies.
    public var c2s: C2S
    /// `hosts`: the virtual hosts clients connect to, in file order.
    public var hosts: [Host]
    /// `accounts`: service accounts declared in the file, applied to the account store at start-up.
    public var accounts: [Account]
    /// `admins`: bare JIDs with administrative rights (Jitsi's focus and bridge accounts).
    public var admins: [JID]
    /// MUC services (XEP-0045).
    public var muc: [MUC]
    /// Jitsi's focus proxy component; nil when off.
    public var focusProxy: FocusProxy?
    /// Jitsi's end conference component (`mod_end_conference`); nil when off.
    public var endConference: JitsiComponent? = ServerConfiguration.jitsiEndConference
    /// Jitsi's audio/video moderation component (`mod_av_moderation_component`); nil when off.
    public var avModeration: JitsiComponent? = ServerConfiguration.jitsiAVModeration
    /// Jitsi's speaker statistics component (`mod_speakerstats_component`); nil when off.
    public var speakerStats: JitsiComponent? = ServerConfiguration.jitsiSpeakerStats
    /// Jitsi's polls component (`mod_polls_component`); nil when off.
    public var polls: JitsiComponent? = ServerConfiguration.jitsiPolls
    /// Jitsi's room metadata component (`mod_room_metadata_component`); nil when off.
    public var roomMetadata: JitsiComponent? = ServerConfiguration.jitsiRoomMetadata
    /// Jitsi's conference duration component (`mod_conference_duration_component`); nil when off.
    public var conferenceDuration: JitsiComponent? = ServerConfiguration.jitsiConferenceDuration
    /// Jitsi's lobby (`mod_muc_lobby_rooms`); nil when off.
    public var lobby: Lobby? = ServerConfiguration.jitsiLobby
    /// `tenants`: Jitsi's `mod_muc_domain_mapper`; nil when off.
    public var tenants: Tenants? = ServerConfiguration.jitsiTenants
    /// Jitsi's breakout rooms (`mod_muc_breakout_rooms`); nil when off.
    public var breakoutRooms: JitsiComponent? = ServerConfiguration.jitsiBreakoutRooms
    /// `rate_limits`: Jitsi's `mod_rate_limit`; nil (the preset) when off.
    public var rateLimits: RateLimits? = nil
    /// The web transports' settings.
    public var http = HTTP()
    /// `room_names`: the room-name privacy policy (Docs/RoomNamePolicy.md).
    public var roomNames: RoomNamePolicy.Configuration
    /// `external_services`: STUN and TURN servers with credentials for the hosts' sessions (XEP-0215); none by
    /// default.
    public var externalServices = ExternalServices()
    /// `operations`: metrics, health and readiness, occupancy, shard identity (Docs/Operations.md).
    public var operations = Operations()
    /// `control`: the test control API (`Docs/Testing-Jicofo.md`); off by default.
    public var control = Control()

    /// A configuration; every parameter defaults to the Jitsi preset's value.
    public init(
        dataDirectory: String = "./data",
        logLevel: Logger.Level = .info,
        logAddresses: Bool = false,
        logRoomNames: Bool = false,
        eventLoops: Int = 0,
        listen: Listen = Listen(),
        tls: TLS = TLS(),
        c2s: C2S = C2S(),
        hosts: [Host] = ServerConfiguration.jitsiHosts,
        accounts: [Account] = ServerConfiguration.jitsiAccounts,
        admins: [JID] = ServerConfiguration.jitsiAdmins,
        muc: [MUC] = ServerConfiguration.jitsiMUCs,
        focusProxy: FocusProxy? = ServerConfiguration.jitsiFocusProxy,
        roomNames: RoomNamePolicy.Configuration = RoomNamePolicy.Configuration()
    ) {
        self.dataDirectory = dataDirectory
        self.logLevel = logLevel
        self.logAddresses = logAddresses
        self.logRoomNames = logRoomNames
        self.eventLoops = eventLoops
        self.listen = listen
        self.tls = tls
        self.c2s = c2s
        self.hosts = hosts
        self.accounts = accounts
        self.admins = admins
        self.muc = muc
        self.focusProxy = focusProxy
        self.roomNames = roomNames
    }

    /// The embedded default: what docker-jitsi-meet's Prosody serves, on 127.0.0.1.
    public static let jitsiPreset = ServerConfiguration()

    /// The preset's hosts: `meet.jitsi` for anonymous participants, `auth.meet.jitsi` for the service accounts.
    public static let jitsiHosts: [Host] = [
        Host(domain: "meet.jitsi", authentication: .anonymous),
        Host(domain: "auth.meet.jitsi", authentication: .internalHashed),
    ]

    /// The preset's service accounts, with docker-jitsi-meet's password variables.
    public static let jitsiAccounts: [Account] = [
        Account(jid: JID(literal: "focus@auth.meet.jitsi"), passwordEnvironment: "JICOFO_AUTH_PASSWORD"),
        Account(jid: JID(literal: "jvb@auth.meet.jitsi"), passwordEnvironment: "JVB_AUTH_PASSWORD"),
    ]

    /// The preset's administrators: Jicofo's and the videobridge's accounts.
    public static let jitsiAdmins: [JID] = [JID(literal: "focus@auth.meet.jitsi")]

    /// Jicofo's and the videobridge's JIDs, the preset's `admins` and `c2s.unlimited_jids`.
    public static let jitsiServiceJIDs: [JID] = [
        JID(literal: "focus@auth.meet.jitsi"), JID(literal: "jvb@auth.meet.jitsi"),
    ]

    /// The host whose domain is `domain` (compared prepared, so case does not matter), or nil.
    public func host(named domain: String) -> Host? {
        guard let prepared = try? JID(localpart: nil, domainpart: domain, resourcepart: nil).domainpart else {
            return nil
        }
        return self.hosts.first { $0.domain == prepared }
    }

    /// A copy whose relative paths (`data_directory`, `tls.certificate`, `tls.key`) are resolved against
    /// `directory`, normally the folder of the configuration file. Absolute paths are kept.
    public func resolvingRelativePaths(against directory: String) -> ServerConfiguration {
        func resolve(_ path: String) -> String {
            if path.hasPrefix("/") { return path }
            return URL(fileURLWithPath: directory, isDirectory: true).appendingPathComponent(path).standardizedFileURL
                .path
        }
        var copy = self
        copy.dataDirectory = resolve(self.dataDirectory)
        copy.tls.certificate = self.tls.certificate.map(resolve)
        copy.tls.key = self.tls.key.map(resolve)
        for index in copy.hosts.indices {
            copy.hosts[index].token?.publicKey = self.hosts[index].token?.publicKey.map(resolve)
        }
        return copy
    }
}

extension JID {
    /// A JID from a string literal written in this module's source; a typo there is a programmer error.
    init(literal: StaticString) {
        do {
            try self.init("\(literal)")
        } catch {
            preconditionFailure("invalid JID literal \(literal): \(error)")
        }
    }
}
