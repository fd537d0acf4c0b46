import NIOCore
import ParleyCore
import ParleyMUC

extension XMPPServer.Configuration {
    /// The running server's settings from an operator's `ServerConfiguration` (the YAML file or the preset).
    public init(_ file: ServerConfiguration) {
        self.init()
        self.hosts = file.hosts.map { host in
            let authentication: HostConfiguration.Authentication =
                switch host.authentication {
                case .anonymous: .anonymous
                case .internalHashed: .internalHashed
                case .token: .token
                }
            var configuration = HostConfiguration(
                domain: host.domain,
                authentication: authentication,
                mechanisms: host.saslMechanisms,
                requireEncryption: host.requireEncryption,
                token: host.token.map {
                    TokenVerifier(
                        configuration: $0.verifierConfiguration(domain: host.domain, tenants: file.tenants != nil),
                        key: nil
                    )
                }
            )
            configuration.tokenKeyServer = host.token?.asapKeyServer.flatMap(KeyServer.init)
            return configuration
        }
        self.setTokenKeys(file, environment: [:])
        self.listenAddress = file.listen.address
        self.c2sPort = file.listen.c2sPort
        self.c2sTLSPort = file.listen.c2sTLSPort == 0 ? nil : file.listen.c2sTLSPort
        self.httpPort = file.listen.httpPort == 0 ? nil : file.listen.httpPort
        self.httpsPort = file.listen.httpsPort == 0 ? nil : file.listen.httpsPort
        self.corsOrigins = file.http.corsOrigins
        self.boshMaxWait = file.http.boshMaxWait
        self.boshInactivity = file.http.boshInactivity
        self.webTransportsSecure = file.http.behindTLSProxy
        self.hibernationSeconds = file.c2s.smHibernation
        self.maxOutputBacklog = file.c2s.maxOutputBacklog
        self.requireEncryption = file.c2s.requireEncryption
        self.allowPlaintextLoopback = file.c2s.allowPlaintextLoopback
        self.maxStanzaBytes = file.c2s.maxStanzaBytes
        self.unlimitedMaxStanzaBytes = file.c2s.unlimitedMaxStanzaBytes
        self.unlimitedJIDs = file.c2s.unlimitedJIDs
        self.maxDepth = file.c2s.maxDepth
        let (seconds, attoseconds) = file.c2s.negotiationTimeout.components
        self.negotiationTimeout = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        self.advertiseVersion = file.c2s.advertiseVersion
        self.logAddresses = file.logAddresses
        self.mucServices = file.muc.map { muc in
            var service = MUCServiceConfiguration(domain: muc.domain)
            service.restrictRoomCreation = muc.restrictRoomCreation
            service.roomLocking = muc.roomLocking
            service.focusLock = muc.focusLock
            service.admins = Set((file.admins + muc.admins).map(\.bare))
            service.maxOccupants = muc.maxOccupants
            service.joinRate = muc.joinRate
            service.maxOccupantsExempt = Set(muc.maxOccupantsExempt.map(\.bare))
            service.passwordExempt = Set(muc.passwordExempt.map(\.bare))
            service.allowedDomains = Set(muc.allowedDomains)
            service.defaultRoom.historyLength = muc.historyLength
            service.defaultRoom.whois = muc.publicJIDs ? .anyone : .moderators
            return service
        }
        self.focusProxy = file.focusProxy.map { ($0.domain, $0.target) }
        self.endConference = file.endConference.map { ($0.domain, $0.muc) }
        self.avModeration = file.avModeration.map { ($0.domain, $0.muc) }
        self.speakerStats = file.speakerStats.map { ($0.domain, $0.muc) }
        self.polls = file.polls.map { ($0.domain, $0.muc) }
        self.roomMetadata = file.roomMetadata.map { ($0.domain, $0.muc) }
        self.conferenceDuration = file.conferenceDuration.map { ($0.domain, $0.muc) }
        self.tenants = file.tenants?.mapper
        self.readRate = file.c2s.rateLimit.map(Double.init)
        self.rateLimits = file.rateLimits?.settings(unlimited: file.c2s.unlimitedJIDs)
        self.trustedProxies = file.http.trustedProxies
        self.breakoutRooms = file.breakoutRooms.map { ($0.domain, $0.muc) }
        self.lobby = file.lobby.map { ($0.component.domain, $0.component.muc, $0.whitelist) }
        self.setRoomNamePolicy(file, accountNames: file.declaredAccountNames)
        self.setExternalServices(file, environment: [:])
        self.operations = file.operations
        self.agentPort = file.operations.agentPort == 0 ? nil : file.operations.agentPort
    }

    /// The keys of `file`'s token hosts: the shared secret (literal, or read from `environment`) or the public key
    /// file. Returns the problems (never containing a secret): a token host without its key refuses every login,
    /// so `parley serve` refuses to start with any.
    @discardableResult
    public mutating func setTokenKeys(_ file: ServerConfiguration, environment: [String: String]) -> [String] {
        var problems: [String] = []
        for host in file.hosts {
            guard host.authentication == .token, let index = self.hosts.firstIndex(where: { $0.domain == host.domain })
            else { continue }
            guard let token = host.token else {
                problems.append("\(host.domain): authentication token without a token section")
                continue
            }
            if token.asapKeyServer != nil { continue }  // keys by kid, fetched per token
            switch token.key(environment: environment) {
            case .success(let key): self.hosts[index].token?.key = key
            case .failure(let problem): problems.append("\(host.domain): \(problem)")
            }
        }
        return problems
    }

    /// XEP-0215's services of `file`, the shared secret read from `environment` when `secret_env` names it.
    /// Returns warnings for the log (services left out without their secret; never the secret itself).
    @discardableResult
    public mutating func setExternalServices(_ file: ServerConfiguration, environment: [String: String]) -> [String] {
        let (discovery, warnings) = file.externalServices.discovery(environment: environment)
        self.externalServices = discovery
        return warnings
    }

    /// The room-name policy of `file`, knowing these account names (the store's, read at start-up).
    public mutating func setRoomNamePolicy(_ file: ServerConfiguration, accountNames: Set<String>) {
        let policy = file.roomNamePolicy(
            mucDomains: file.muc.map(\.domain),
            isAccountName: { accountNames.contains($0) }
        )
        self.roomNamePolicy = { policy.evaluate($0).stanzaError }
    }
}
