import NIOCore
import NIOHTTP1
import ParleyCore
import ParleyMUC
import ParleyTransports

/// The operator endpoints of the web listener (Docs/Operations.md): `/health` and `/ready` for load balancers,
/// `/metrics` for Prometheus, and the occupancy endpoints. Each answers only the peers its allow list permits
/// (loopback by default), with 403 to anyone else, as Prosody's modules do.
final class OperatorEndpoints: Sendable {
    let settings: ServerConfiguration.Operations
    let metrics: ServerMetrics
    let registry: SessionRegistry
    let mucServices: [MUCService]
    /// The focus account behind the focus proxy (Jitsi's `client_proxy` target); nil without a focus proxy.
    let focus: JID?
    /// The bridges' brewery room and its service; nil when none is watched.
    let brewery: (service: MUCService, room: String)?
    let bosh: BOSHService
    let identity: ShardIdentity
    /// The shard's state: ready, drain or maint.
    let status: ShardStatus

    init(
        settings: ServerConfiguration.Operations,
        metrics: ServerMetrics,
        registry: SessionRegistry,
        mucServices: [MUCService],
        focus: JID?,
        bosh: BOSHService,
        status: ShardStatus = ShardStatus()
    ) {
        self.status = status
        self.settings = settings
        self.metrics = metrics
        self.registry = registry
        self.mucServices = mucServices.sorted { $0.domain < $1.domain }
        self.focus = focus
        self.bosh = bosh
        self.identity = ShardIdentity(settings)
        if let room = settings.brewery, let localpart = room.localpart,
            let service = mucServices.first(where: { $0.domain == room.domainpart })
        {
            self.brewery = (service, localpart)
        } else {
            self.brewery = nil
        }
    }

    /// The answer to a request for `query.path`, or nil when the path is not an operator endpoint. `peer` is the
    /// caller's IP address.
    func respond(
        method: HTTPMethod,
        query: HTTPQuery,
        body: ByteBuffer? = nil,
        peer peerAddress: @autoclosure () -> String?,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<OperatorResponse>? {
        // The peer's address is written out (a string) only for the operator paths, not for every BOSH request.
        var peer: String? { peerAddress() }
        if query.path == "/shard-status" {
            return eventLoop.makeSucceededFuture(self.shardStatus(method: method, body: body, peer: peer))
        }
        guard method == .GET || method == .HEAD else { return nil }
        let allow: IPAllowList
        let answer: () -> EventLoopFuture<OperatorResponse>
        switch query.path {
        case "/health":
            // docker's mod_http_health: 200 OK while the server runs (no module of Parley's can be in error).
            allow = IPAllowList(self.settings.healthAllow)
            answer = { eventLoop.makeSucceededFuture(.text(.ok, "OK\n")) }
        case "/ready":
            allow = IPAllowList(self.settings.healthAllow)
            answer = { self.readiness(on: eventLoop) }
        case "/metrics" where self.settings.metrics:
            allow = IPAllowList(self.settings.metricsAllow)
            answer = { self.scrape(on: eventLoop) }
        case "/room-size" where self.settings.occupancy, "/room" where self.settings.occupancy:
            allow = IPAllowList(self.settings.occupancyAllow)
            answer = { self.room(query, listing: query.path == "/room", on: eventLoop) }
        case "/room-census" where self.settings.occupancy:
            allow = IPAllowList(self.settings.occupancyAllow)
            answer = { self.census(on: eventLoop) }
        case "/sessions" where self.settings.occupancy:
            allow = IPAllowList(self.settings.occupancyAllow)
            answer = { eventLoop.makeSucceededFuture(.text(.ok, "\(self.registry.count)")) }
        default:
            return nil
        }
        guard allow.permits(peer) else {
            return eventLoop.makeSucceededFuture(.text(.forbidden, "Forbidden\n"))
        }
        return answer()
    }

    // MARK: - Readiness

    /// What `/ready` checks: the focus (Jicofo) has a session behind the focus proxy, and at least one bridge is
    /// in the brewery. Either check is skipped when there is no focus proxy or no brewery to watch.
    struct Readiness: Sendable, Equatable {
        var focusOnline: Bool?
        var bridges: Int?
        /// Reported, not checked: a draining shard is still ready for its own conferences (HAProxy learns of the
        /// drain from the agent port).
        var status: ShardState = .ready

        var missing: [String] {
            var missing: [String] = []
            if self.focusOnline == false { missing.append("focus") }
            if let bridges = self.bridges, bridges < 1 { missing.append("bridge") }
            return missing
        }

        var json: JSONValue {
            var object: [String: JSONValue] = [
                "ready": .bool(self.missing.isEmpty),
                "missing": .array(self.missing.map { .string($0) }),
                "status": .string(self.status.rawValue),
            ]
            if let focusOnline = self.focusOnline { object["focus"] = .bool(focusOnline) }
            if let bridges = self.bridges { object["bridges"] = .number(Double(bridges)) }
            return .object(object)
        }
    }

    var focusOnline: Bool? {
        self.focus.map { !self.registry.sessions(of: $0).isEmpty }
    }

    /// The brewery's occupants other than the focus account: the bridges. Nil without a brewery; 0 when its room
    /// does not exist.
    func bridges(on eventLoop: any EventLoop) -> EventLoopFuture<Int?> {
        guard let brewery = self.brewery else { return eventLoop.makeSucceededFuture(nil) }
        guard let room = brewery.service.room(brewery.room) else { return eventLoop.makeSucceededFuture(0) }
        let focus = self.focus
        return room.inspect { state in
            state.occupants.values.filter { $0.bareJID != focus }.count
        }.hop(to: eventLoop).map { $0 }
    }

    func readiness(on eventLoop: any EventLoop) -> EventLoopFuture<OperatorResponse> {
        let focusOnline = self.focusOnline
        return self.bridges(on: eventLoop).map { bridges in
            let readiness = Readiness(focusOnline: focusOnline, bridges: bridges, status: self.status.state)
            return .json(readiness.missing.isEmpty ? .ok : .serviceUnavailable, readiness.json)
        }
    }

    // MARK: - Metrics

    /// Prosody's `mod_http_openmetrics` with `statistics_interval = "manual"`: everything is collected when scraped.
    func scrape(on eventLoop: any EventLoop) -> EventLoopFuture<OperatorResponse> {
        let loops = self.metrics.loops.total(on: eventLoop)
        let bridges = self.bridges(on: eventLoop)
        return loops.and(bridges).map { total, bridges in
            typealias Name = ServerMetrics.Name
            var gauges: [ServerMetrics.GaugeValue] = [
                .init(name: Name.boshActive, labels: [], value: Double(self.bosh.count))
            ]
            for service in self.mucServices {
                let host = [("host", service.domain)]
                let rooms = Double(service.roomCount)
                gauges.append(.init(name: Name.liveRooms, labels: host, value: rooms))
                gauges.append(.init(name: Name.rooms, labels: host, value: rooms))
                gauges.append(.init(name: Name.occupants, labels: host, value: Double(service.occupantCount)))
            }
            if let focusOnline = self.focusOnline {
                gauges.append(.init(name: Name.focusOnline, labels: [], value: focusOnline ? 1 : 0))
            }
            if let bridges {
                gauges.append(.init(name: Name.bridges, labels: [], value: Double(bridges)))
            }
            let state = self.status.state
            for candidate in ShardState.allCases {
                gauges.append(
                    .init(
                        name: Name.shardState,
                        labels: [("state", candidate.rawValue)],
                        value: candidate == state ? 1 : 0
                    )
                )
            }
            let body = self.metrics.render(loops: total, gauges: gauges)
            return OperatorResponse(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: body)
        }
    }
}

extension OperatorEndpoints {
    /// `GET /shard-status`: `{"status": "ready"}`; `POST /shard-status` with `ready`, `drain` or `maint` as the body
    /// sets it (what `parley drain` sends). Loopback only, whatever the allow lists say: this changes the server.
    func shardStatus(method: HTTPMethod, body: ByteBuffer?, peer: String?) -> OperatorResponse {
        guard IPAllowList().permits(peer) else { return .text(.forbidden, "Forbidden\n") }
        switch method {
        case .GET, .HEAD:
            return .json(.ok, .object(["status": .string(self.status.state.rawValue)]))
        case .POST, .PUT:
            guard let text = body.map({ String(buffer: $0) }), let state = ShardState(text: text) else {
                return .text(.badRequest, "The body must be ready, drain or maint\n")
            }
            let previous = self.status.set(state)
            return .json(.ok, .object(["status": .string(state.rawValue), "previous": .string(previous.rawValue)]))
        default:
            return .text(.methodNotAllowed, "GET or POST\n")
        }
    }
}
