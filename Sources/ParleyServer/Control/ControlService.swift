import NIOCore
import NIOHTTP1
import NIOPosix
import ParleyCore
import ParleyMUC

/// The control API's endpoints (`Docs/Testing-Jicofo.md`), apart from the event stream, which
/// `ControlHTTPHandler` serves itself. Each answer is a future: reading a room hops to the room's loop, changing
/// rules hops to `ControlHub`'s, account changes run on the thread pool (the store may block).
final class ControlService: Sendable {
    let hub: ControlHub
    let router: StanzaRouter
    let mucServices: [MUCService]
    let accounts: ControlAccounts?
    let token: String?

    init(hub: ControlHub, router: StanzaRouter, mucServices: [MUCService], accounts: ControlAccounts?, token: String?) {
        self.hub = hub
        self.router = router
        self.mucServices = mucServices
        self.accounts = accounts
        self.token = token
    }

    private var loop: any EventLoop { self.hub.loop }

    /// Answers one request (never `GET /control/events`).
    func respond(to request: ControlRequest) -> EventLoopFuture<ControlResponse> {
        let body: JSONValue
        do {
            body = try ControlJSON.body(request.body)
        } catch {
            return self.loop.makeSucceededFuture(.error(.badRequest, error.message))
        }
        switch (request.method, request.segments.first, request.segments.count) {
        case (.GET, nil, _):
            return self.loop.makeSucceededFuture(ControlResponse(.ok, Self.index))
        case (.POST, "reset", 1):
            return self.reset()
        case (.GET, "rooms", 1):
            return self.rooms(nil)
        case (.GET, "rooms", 2):
            return self.rooms(request.segments[1])
        case (.GET, "sessions", 1):
            return self.loop.makeSucceededFuture(ControlResponse(.ok, self.sessions()))
        case (.POST, "restart", 1):
            return self.restart(body)
        case (.POST, "sessions", 2) where request.segments[1] == "drop":
            return self.loop.makeSucceededFuture(self.dropSessions(body))
        case (.GET, "accounts", 1), (.POST, "accounts", 1), (.DELETE, "accounts", 2):
            return self.accounts(request, body: body)
        case (.GET, "faults", 1):
            return self.faults()
        case (.POST, "faults", 1):
            return self.hub.addFault(body).map { ControlResponse(.created, $0.json(now: .now())) }.flatMapErrorThrowing
            {
                guard let error = $0 as? ControlRequestError else { throw $0 }
                return .error(.badRequest, error.message)
            }
        case (.DELETE, "faults", 1):
            return self.hub.removeFaults(id: nil).map { _ in ControlResponse(.ok, .object(["faults": .array([])])) }
        case (.DELETE, "faults", 2):
            guard let id = Int(request.segments[1]) else {
                return self.loop.makeSucceededFuture(.error(.badRequest, "a fault id is a number"))
            }
            return self.hub.removeFaults(id: id).map { removed in
                removed
                    ? ControlResponse(.ok, .object(["removed": .number(Double(id))]))
                    : .error(.notFound, "no fault \(id)")
            }
        case (.POST, "faults", 2) where request.segments[1] == "refuse-resumption":
            let count = body["count"] == nil ? 1 : ControlJSON.integer(body["count"])
            guard let count, (0...1000).contains(count) else {
                return self.loop.makeSucceededFuture(.error(.badRequest, "count must be a whole number from 0 to 1000"))
            }
            self.hub.tap.refuseResumptions(count)
            return self.loop.makeSucceededFuture(
                ControlResponse(.ok, .object(["refuse_resumptions": .number(Double(count))]))
            )
        default:
            return self.loop.makeSucceededFuture(
                .error(
                    .notFound,
                    "no such control endpoint: \(request.method) /control/\(request.segments.joined(separator: "/"))"
                )
            )
        }
    }

    /// What `GET /control` lists.
    static let index: JSONValue = .object([
        "endpoints": .array(
            [
                "POST /control/reset", "GET /control/rooms", "GET /control/rooms/{room jid}", "GET /control/sessions",
                "POST /control/sessions/drop", "POST /control/restart", "GET /control/events", "GET /control/accounts",
                "POST /control/accounts", "DELETE /control/accounts/{jid}", "GET /control/faults",
                "POST /control/faults", "DELETE /control/faults", "DELETE /control/faults/{id}",
                "POST /control/faults/refuse-resumption",
            ].map(JSONValue.string)
        )
    ])

    // MARK: - Reset

    /// Faults cleared, every room destroyed (its occupants told, XEP-0045 §10.9), every session ended (stream error
    /// `reset`, hibernating XEP-0198 sessions included), accounts back to those configured. Answers once the server
    /// has no room and no session left (or after 5 seconds, saying what is left).
    private func reset() -> EventLoopFuture<ControlResponse> {
        let loop = self.loop
        let roomCount = self.mucServices.reduce(0) { $0 + $1.roomCount }
        let sessions = self.router.registry.all
        self.hub.tap.refuseResumptions(0)
        let cleared = self.hub.removeFaults(id: nil).map { _ in }
        let destroyed = EventLoopFuture.andAllComplete(
            self.mucServices.map { $0.destroyAllRooms(reason: "Reset by the control API", sink: self.router) },
            on: loop
        )
        let accounts =
            self.accounts.map { accounts in
                NIOThreadPool.singleton.runIfActive(eventLoop: loop) { try accounts.reset() }
            } ?? loop.makeSucceededVoidFuture()
        return cleared.and(destroyed).flatMap { _ in
            for session in sessions {
                session.terminate(StreamError(.reset, text: "Reset by the control API"))
            }
            return accounts.and(self.waitUntilEmpty(deadline: .now() + .seconds(5)))
        }.map { _, left in
            var object: [String: JSONValue] = [
                "rooms_destroyed": .number(Double(roomCount)),
                "sessions_closed": .number(Double(sessions.count)),
            ]
            if left.rooms + left.sessions > 0 {
                object["rooms_left"] = .number(Double(left.rooms))
                object["sessions_left"] = .number(Double(left.sessions))
            }
            return ControlResponse(.ok, .object(object))
        }.flatMapErrorThrowing { error in
            .error(.internalServerError, "reset failed: \(error)")
        }
    }

    /// Polls until no room and no session is left, or `deadline`; succeeds with what is left.
    private func waitUntilEmpty(deadline: NIODeadline) -> EventLoopFuture<(rooms: Int, sessions: Int)> {
        let rooms = self.mucServices.reduce(0) { $0 + $1.roomCount }
        let sessions = self.router.registry.count
        if rooms + sessions == 0 || NIODeadline.now() >= deadline {
            return self.loop.makeSucceededFuture((rooms, sessions))
        }
        return self.loop.scheduleTask(in: .milliseconds(10)) {}.futureResult.flatMap {
            self.waitUntilEmpty(deadline: deadline)
        }
    }

    /// `{"keep_stream_management": bool}`: what clients see when the server restarts. Every connection is cut
    /// without a stream close. Without the XEP-0198 state (the default, what a Prosody restart does: jitsi-operations
    /// §2.5) every session ends, every room is destroyed and faults are cleared, so a resumption fails with
    /// item-not-found; with it, resumable sessions hibernate and rooms stay, as a server that kept its state would
    /// (Jicofo then resumes instead of stopping its conferences). The listeners stay open.
    private func restart(_ body: JSONValue) -> EventLoopFuture<ControlResponse> {
        let keep: Bool
        switch body["keep_stream_management"] {
        case nil: keep = false
        case .bool(let value)?: keep = value
        default:
            return self.loop.makeSucceededFuture(.error(.badRequest, "keep_stream_management must be true or false"))
        }
        let sessions = self.router.registry.all
        for session in sessions { session.restart(keepResumption: keep) }
        let answer = ControlResponse(
            .ok,
            .object(["sessions_cut": .number(Double(sessions.count)), "keep_stream_management": .bool(keep)])
        )
        guard !keep else { return self.loop.makeSucceededFuture(answer) }
        self.hub.tap.refuseResumptions(0)
        return self.waitUntilNoSession(deadline: .now() + .seconds(5)).flatMap {
            EventLoopFuture.andAllComplete(
                self.mucServices.map { $0.destroyAllRooms(reason: "The server restarted", sink: self.router) },
                on: self.loop
            )
        }.flatMap { self.hub.removeFaults(id: nil) }.map { _ in answer }
    }

    private func waitUntilNoSession(deadline: NIODeadline) -> EventLoopFuture<Void> {
        if self.router.registry.count == 0 || NIODeadline.now() >= deadline {
            return self.loop.makeSucceededVoidFuture()
        }
        return self.loop.scheduleTask(in: .milliseconds(10)) {}.futureResult.flatMap {
            self.waitUntilNoSession(deadline: deadline)
        }
    }

    // MARK: - Rooms and sessions

    /// Every room (nil), or one room by its bare JID.
    private func rooms(_ jid: String?) -> EventLoopFuture<ControlResponse> {
        var picked: [(MUCRoom, MUCServiceConfiguration)] = []
        if let jid {
            guard let room = try? JID(jid), let name = room.localpart,
                let service = self.mucServices.first(where: { $0.domain == room.domainpart }),
                let found = service.room(name)
            else {
                return self.loop.makeSucceededFuture(.error(.notFound, "no such room: \(jid)"))
            }
            picked = [(found, service.configuration)]
        } else {
            for service in self.mucServices {
                picked += service.allRooms.map { ($0, service.configuration) }
            }
        }
        let snapshots = picked.map { room, service in
            room.inspect { ControlSnapshot.room($0, service: service) }
        }
        return EventLoopFuture.whenAllSucceed(snapshots, on: self.loop).map { rooms in
            if jid != nil, let room = rooms.first { return ControlResponse(.ok, room) }
            let sorted = rooms.sorted { ($0["jid"]?.string ?? "") < ($1["jid"]?.string ?? "") }
            return ControlResponse(.ok, .object(["rooms": .array(sorted)]))
        }
    }

    private func sessions() -> JSONValue {
        let sessions = self.router.registry.all.sorted { $0.jid.description < $1.jid.description }
        return .object(["sessions": .array(sessions.map(ControlSnapshot.session))])
    }

    /// `{"jid": …}`: cuts the connections of the sessions it names (a full JID: one; a bare JID: the account's).
    private func dropSessions(_ body: JSONValue) -> ControlResponse {
        guard let text = body["jid"]?.string, let pattern = try? JID(text), pattern.localpart != nil else {
            return .error(.badRequest, "the body needs a jid: a session's full JID or an account's bare JID")
        }
        let sessions = self.router.registry.all.filter { StanzaMatch.address($0.jid, matches: pattern) }
        guard !sessions.isEmpty else { return .error(.notFound, "no session of \(pattern)") }
        for session in sessions { session.dropConnection() }
        return ControlResponse(.ok, .object(["dropped": .array(sessions.map { .string($0.jid.description) })]))
    }

    // MARK: - Accounts

    private func accounts(_ request: ControlRequest, body: JSONValue) -> EventLoopFuture<ControlResponse> {
        guard let accounts = self.accounts else {
            return self.loop.makeSucceededFuture(.error(.notFound, "this server does not manage accounts at run time"))
        }
        let loop = self.loop
        switch request.method {
        case .POST:
            guard let text = body["jid"]?.string, let jid = try? JID(text), jid.localpart != nil,
                jid.resourcepart == nil, let password = body["password"]?.string, !password.isEmpty
            else {
                return loop.makeSucceededFuture(
                    .error(.badRequest, "the body needs a bare jid and a non-empty password")
                )
            }
            guard self.router.isLocal(jid.domainpart) else {
                return loop.makeSucceededFuture(.error(.badRequest, "\(jid.domainpart) is not a host of this server"))
            }
            return NIOThreadPool.singleton.runIfActive(eventLoop: loop) {
                try accounts.add(jid.bare, password: password)
                return ControlResponse(.created, .object(["jid": .string(jid.bare.description)]))
            }.flatMapErrorThrowing { .error(.badRequest, "\($0)") }
        case .DELETE:
            guard let jid = try? JID(request.segments[1]), jid.localpart != nil else {
                return loop.makeSucceededFuture(.error(.badRequest, "not an account JID: \(request.segments[1])"))
            }
            return NIOThreadPool.singleton.runIfActive(eventLoop: loop) {
                try accounts.remove(jid.bare)
                    ? ControlResponse(.ok, .object(["removed": .string(jid.bare.description)]))
                    : .error(.notFound, "no account \(jid.bare)")
            }.flatMapErrorThrowing { .error(.internalServerError, "\($0)") }
        default:
            return NIOThreadPool.singleton.runIfActive(eventLoop: loop) {
                ControlResponse(.ok, .object(["accounts": .array(try accounts.list().map { .string($0.description) })]))
            }.flatMapErrorThrowing { .error(.internalServerError, "\($0)") }
        }
    }

    // MARK: - Faults

    private func faults() -> EventLoopFuture<ControlResponse> {
        let refusals = self.hub.tap.pendingRefusals
        return self.hub.faults().map { faults in
            let now = NIODeadline.now()
            return ControlResponse(
                .ok,
                .object([
                    "faults": .array(faults.map { $0.json(now: now) }),
                    "refuse_resumptions": .number(Double(refusals)),
                ])
            )
        }
    }
}
