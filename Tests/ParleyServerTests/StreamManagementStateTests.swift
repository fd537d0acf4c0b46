import ParleyCore
import ParleyXML
import Testing

@testable import ParleyServer

@Suite struct StreamManagementStateTests {
    private let stanza = XMLElement(name: "message", namespace: Namespace.client)

    @Test func asksForAnAckEveryFiveStanzasAndDropsAcknowledgedOnes() {
        var sm = StreamManagementState()
        sm.enabled = true
        let asks = (1...5).map { _ in sm.sent(self.stanza, askEvery: 5) }
        #expect(asks == [false, false, false, false, true])
        #expect(sm.unacked.count == 5)
        let three = sm.acknowledged(3)
        #expect(three)
        #expect(sm.unacked.map(\.sequence) == [4, 5])
        let tooMany = sm.acknowledged(9)  // more than was ever sent
        #expect(!tooMany)
        let all = sm.acknowledged(5)
        #expect(all && sm.unacked.isEmpty)
    }

    @Test func countersWrapAround() {
        var sm = StreamManagementState()
        sm.enabled = true
        sm.sentOutbound = UInt32.max - 1
        _ = sm.sent(self.stanza, askEvery: 100)
        _ = sm.sent(self.stanza, askEvery: 100)
        _ = sm.sent(self.stanza, askEvery: 100)
        #expect(sm.unacked.map(\.sequence) == [UInt32.max, 0, 1])
        let wrapped = sm.acknowledged(0)
        #expect(wrapped)
        #expect(sm.unacked.map(\.sequence) == [1])
    }

    @Test func disabledCountsNothing() {
        var sm = StreamManagementState()
        let asked = sm.sent(self.stanza, askEvery: 1)
        #expect(!asked)
        #expect(sm.unacked.isEmpty)
    }

    private func receive(
        _ sm: inout StreamManagementState,
        _ name: String,
        _ attributes: [(String, String?)] = [],
        canEnable: Bool = true
    )
        -> [StreamManagementState.Action]
    {
        sm.receive(
            XMLElement(name, ns: Namespace.streamManagement, attributes),
            canEnable: canEnable,
            maxSeconds: 60,
            makeID: { "id-1" }
        )
    }

    @Test func enableWithResumeRegistersBeforeItAnswers() {
        var sm = StreamManagementState()
        let actions = self.receive(&sm, "enable", [("resume", "true")])
        #expect(actions.count == 2)
        #expect(actions.first == .registerResumption(id: "id-1"))
        guard case .send(let enabled) = actions.last else {
            Issue.record("no <enabled/>")
            return
        }
        #expect(
            enabled.name == "enabled" && enabled[attribute: "id"] == "id-1" && enabled[attribute: "resume"] == "true"
        )
        #expect(enabled[attribute: "max"] == "60")
        #expect(sm.enabled && sm.resumable && sm.id == "id-1")
    }

    @Test func enableTwiceOrWhereNotOfferedFails() {
        var sm = StreamManagementState()
        _ = self.receive(&sm, "enable")
        #expect(!sm.resumable && sm.id == nil)
        #expect(self.receive(&sm, "enable") == [.send(StreamManagementState.failed("unexpected-request"))])
        var bosh = StreamManagementState()
        #expect(
            self.receive(&bosh, "enable", canEnable: false) == [
                .send(StreamManagementState.failed("unexpected-request"))
            ]
        )
        #expect(!bosh.enabled)
    }

    @Test func requestsAreAnsweredWithTheInboundCount() {
        var sm = StreamManagementState()
        #expect(self.receive(&sm, "r").isEmpty)  // not enabled: ignored
        _ = self.receive(&sm, "enable")
        sm.received(self.stanza)
        sm.received(XMLElement(name: "a", namespace: Namespace.streamManagement))  // not a stanza
        sm.received(self.stanza)
        guard case .send(let a) = self.receive(&sm, "r").first else {
            Issue.record("no <a/>")
            return
        }
        #expect(a.name == "a" && a[attribute: "h"] == "2")
    }

    @Test func acknowledgingMoreThanSentClosesTheStream() {
        var sm = StreamManagementState()
        _ = self.receive(&sm, "enable")
        _ = sm.sent(self.stanza, askEvery: 5)
        #expect(self.receive(&sm, "a", [("h", "1")]).isEmpty)
        guard case .close(let error) = self.receive(&sm, "a", [("h", "7")]).first else {
            Issue.record("not closed")
            return
        }
        #expect(error.condition == .undefinedCondition)
        #expect(self.receive(&sm, "bogus") == [.send(StreamManagementState.failed("feature-not-implemented"))])
    }

    @Test func onlyAResumableSessionHibernatesAndOnlyWhenTheConnectionDropped() {
        var plain = StreamManagementState()
        _ = self.receive(&plain, "enable")
        #expect(!plain.hibernates(abrupt: true))
        var resumable = StreamManagementState()
        _ = self.receive(&resumable, "enable", [("resume", "1")])
        #expect(resumable.hibernates(abrupt: true))
        #expect(!resumable.hibernates(abrupt: false))
    }

    @Test func hibernationKeepsStanzasWithinItsLimitAndResumeReplaysTheUnacknowledged() {
        var sm = StreamManagementState()
        _ = self.receive(&sm, "enable", [("resume", "true")])
        sm.received(self.stanza)
        for i in 0..<3 {
            let message = Stanza(
                unchecked: XMLElement("message", ns: Namespace.client, [("id", "m\(i)")]),
                kind: .message,
                from: nil,
                to: nil
            )
            let kept = sm.keepWhileHibernating(message, limit: 3)
            #expect(kept)
        }
        let overflow = sm.keepWhileHibernating(
            Stanza(unchecked: self.stanza, kind: .message, from: nil, to: nil),
            limit: 3
        )
        #expect(!overflow)
        let replay = sm.resume(previd: "id-1", clientH: 1)
        let elements = replay.map(\.element)
        #expect(
            elements.first?.name == "resumed" && elements.first?[attribute: "previd"] == "id-1"
                && elements.first?[attribute: "h"] == "1"
        )
        #expect(elements.dropFirst().map { $0[attribute: "id"] } == ["m1", "m2", nil])
    }

    /// A broadcast copy is kept as the stanza it is, sharing its serialized bytes: no element per recipient.
    @Test func aBroadcastCopyIsKeptWithItsSharedBytes() throws {
        var sm = StreamManagementState()
        sm.enabled = true
        var template = Stanza(
            unchecked: XMLElement("presence", ns: Namespace.client),
            kind: .presence,
            from: try JID("r@muc.meet.jitsi/a"),
            to: nil
        )
        template.prepareBroadcast()
        let copy = template.addressed(to: try JID("u@meet.jitsi/x"))
        _ = sm.sent(.stanza(copy), askEvery: 5)
        guard case .stanza(let kept) = sm.unacked.first?.item else {
            Issue.record("not kept as a stanza")
            return
        }
        #expect(kept.serialized === template.serialized)
        #expect(kept.to == (try JID("u@meet.jitsi/x")))
    }
}
