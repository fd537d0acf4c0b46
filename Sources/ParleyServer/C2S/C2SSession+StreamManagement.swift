import NIOCore
import ParleyCore
import ParleyXML

/// XEP-0198 stream management: acks, hibernation when the connection drops, and resumption on a new one.
extension C2SSession {
    /// `<enable/>`, `<r/>`, `<a/>` on a bound stream: `StreamManagementState` decides, the session performs.
    func streamManagement(_ element: XMLElement) {
        guard let transport = self.transport else { return }
        let wasEnabled = self.sm.enabled
        defer { if !wasEnabled, self.sm.enabled { self.shared.metrics.smacksStarted.increment() } }
        let actions = self.sm.receive(
            element,
            canEnable: self.supportsStreamManagement && self.handle != nil,
            maxSeconds: self.shared.settings.hibernationSeconds,
            makeID: { SecureRandom.string(count: 24, alphabet: StreamManagementState.idAlphabet) }
        )
        for action in actions {
            switch action {
            case .send(let reply):
                transport.send(reply)
            case .registerResumption(let id):
                guard let handle = self.handle else { continue }
                let entry = ResumptionRegistry.Entry(
                    jid: handle.jid,
                    session: NIOLoopBound(self, eventLoop: self.eventLoop)
                )
                self.shared.resumption.register(id, entry)
                self.resumptionEntry = entry
            case .close(let error):
                self.close(error)
            }
        }
    }

    /// The connection dropped without a clean close: keep the session for the hibernation window (§5).
    /// Returns false when the session is not resumable and must end now.
    func hibernate() -> Bool {
        guard self.sm.hibernates(abrupt: true), self.handle != nil, self.resumptionEntry != nil else { return false }
        self.debug("Connection lost: hibernating")
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.hibernation = self.eventLoop.scheduleTask(in: .seconds(Int64(self.shared.settings.hibernationSeconds))) {
            let session = loopBound.value
            session.debug("Hibernation expired")
            session.shared.metrics.smacksResumptionExpired.increment()
            session.hibernation = nil
            session.forgetResumption()
            session.endSession()
        }
        return true
    }

    func forgetResumption() {
        if let id = self.sm.id, let entry = self.resumptionEntry { self.shared.resumption.remove(id, ifSame: entry) }
        self.resumptionEntry = nil
    }

    /// `<resume previd h/>` on a new, authenticated stream (§5): take over the hibernated session.
    func resume(previd: String, clientH: UInt32, user: JID) {
        guard let entry = self.shared.resumption.entry(previd), entry.jid.bare == user.bare else {
            return self.resumeFailed()
        }
        if let tap = self.shared.tap, tap.takeResumptionRefusal() {
            // The control API's fault: as if the server had restarted and lost the session (§5: item-not-found).
            tap.report(ControlEvent(kind: .resumptionRefused, jid: entry.jid))
            return self.resumeFailed()
        }
        let newLoop = self.eventLoop
        let target = NIOLoopBound(self, eventLoop: newLoop)
        let claims = self.machine.tokenClaims
        entry.session.eventLoop.flatSubmit { () -> EventLoopFuture<C2SSession.Handover?> in
            newLoop.makeSucceededFuture(entry.session.value.handOver(previd: previd, refreshedToken: claims))
        }.hop(to: newLoop).whenComplete { result in
            let session = target.value
            guard case .success(let handover?) = result else { return session.resumeFailed() }
            session.adopt(handover, previd: previd, clientH: clientH)
        }
    }

    private func resumeFailed() {
        guard let transport = self.transport else { return }
        for case .send(let element) in self.machine.resumeFailed() { transport.send(element) }
        transport.flush()
    }

    /// What a hibernated (or still-connected) session hands to the connection that resumes it.
    struct Handover: Sendable {
        let handle: SessionHandle
        let directedPresence: Set<JID>
        let sm: StreamManagementState
        let tenants: TenantAddressing?
    }

    /// On the old session's loop: give up the session to a resuming connection.
    private func handOver(previd: String, refreshedToken: TokenClaims?) -> Handover? {
        guard let handle = self.handle, self.sm.id == previd else { return nil }
        if let refusal = TokenRefresh.refusal(
            oldRoom: handle.tokenRoom,
            oldSubject: handle.tokenSubject,
            new: refreshedToken
        ) {
            self.logger.info("Resumption refused", metadata: ["reason": "\(refusal)"])
            return nil
        }
        self.hibernation?.cancel()
        self.hibernation = nil
        let handover = Handover(
            handle: handle,
            directedPresence: self.directedPresence,
            sm: self.sm,
            tenants: self.tenants
        )
        // This session no longer owns anything: closing its old connection (if still open) ends nothing.
        self.handle = nil
        self.directedPresence = []
        self.resumptionEntry = nil
        if let transport = self.transport {
            _ = self.machine.close(nil)  // the old connection ends here, with its own error below
            transport.close(
                StreamError(.conflict, text: "The session was resumed on another connection"),
                needsHeader: false
            )
            self.transport = nil
        }
        return handover
    }

    /// On the new session's loop: continue the old session here.
    private func adopt(_ handover: Handover, previd: String, clientH: UInt32) {
        guard let transport = self.transport, !self.closing else { return }
        self.handle = handover.handle
        self.directedPresence = handover.directedPresence
        self.sm = handover.sm
        self.tenants = handover.tenants
        let replay = self.sm.resume(previd: previd, clientH: clientH)
        let entry = ResumptionRegistry.Entry(
            jid: handover.handle.jid,
            session: NIOLoopBound(self, eventLoop: self.eventLoop)
        )
        self.shared.resumption.register(previd, entry)
        self.resumptionEntry = entry
        handover.handle.retarget(to: C2SSessionSink(self))
        self.machine.resumed(handover.handle.jid)
        self.cancelNegotiationTimeout()
        self.debug("Resumed a session")
        // §5: <resumed/>, then everything the client has not acknowledged, again and in order.
        for item in replay {
            switch item {
            case .element(let element): transport.send(element)
            case .stanza(let stanza):
                if let bytes = stanza.serialized {
                    transport.send(bytes, to: stanza.to)
                } else {
                    transport.send(stanza.element)
                }
            }
        }
        transport.flush()
    }
}
