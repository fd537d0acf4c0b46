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
}
