import Foundation
import ParleyCore
import ParleyXML
import Testing

@testable import ParleyMUC

private let roomJID = try! JID("weeklysync@muc.meet.jitsi")
private let component = try! JID("polls.meet.jitsi")
private let focus = try! JID("focus@auth.meet.jitsi/focus")
private let alice = try! JID("3f9a1c7e@meet.jitsi/6c1d9e0b")
private let bob = try! JID("b7e20d94@meet.jitsi/r2")
private let carol = try! JID("e15c8a3f@meet.jitsi/r3")

private func join(_ nick: String, from: JID, display: String) -> Stanza {
    var element = XMLElement(name: "presence", namespace: Namespace.client)
    element.append(XMLElement(name: "x", namespace: Namespace.muc))
    var n = XMLElement(name: "nick", namespace: "http://jabber.org/protocol/nick")
    n.append(text: display)
    element.append(n)
    return Stanza(unchecked: element, kind: .presence, from: from, to: try! roomJID.with(resource: nick))
}

private func conference() -> RoomState {
    var s = MUCServiceConfiguration(domain: "muc.meet.jitsi")
    s.admins = [focus.bare]
    s.pollsComponent = component
    var state = RoomState(jid: roomJID, service: s, meetingID: "m", createdMillis: 0, iqSecret: Array("k".utf8))
    _ = state.handle(join("focus", from: focus, display: "Focus"))
    _ = state.handle(join("3f9a1c7e", from: alice, display: "Alice"))
    _ = state.handle(join("b7e20d94", from: bob, display: "Bob"))
    return state
}

/// lib-jitsi-meet's JSON, as `createPoll` and `answerPoll` build it.
private let newPoll =
    #"{"answers":[{"name":"Tuesday"},{"name":"Thursday"}],"command":"new-poll","pollId":"p1","question":"Retro day?","type":"polls"}"#
private func answer(_ choices: [Bool], poll: String = "p1") -> String {
    #"{"answers":[\#(choices.map { $0 ? "true" : "false" }.joined(separator: ","))],"command":"answer-poll","pollId":"\#(poll)","type":"polls"}"#
}

private func json(_ stanza: Stanza) -> [String: Any]? {
    guard stanza.from == component,
        let text = stanza.element.child("json-message", namespace: "http://jitsi.org/jitmeet")?.text
    else { return nil }
    return try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
}

/// Jitsi's polls at the room (`mod_polls_component`).
@Suite struct PollsTests {
    @Test func commandsAreCheckedAsTheModuleChecksThem() throws {
        #expect(
            try PollsCommand(json: newPoll).kind == .newPoll(question: "Retro day?", answers: ["Tuesday", "Thursday"])
        )
        #expect(try PollsCommand(json: answer([true, false])).kind == .answerPoll(choices: [true, false]))
        let bad = [
            "not json", "[]", #"{"type":"polls"}"#,
            #"{"type":"chat","pollId":"p","answers":[true],"command":"answer-poll"}"#,
            #"{"type":"polls","pollId":"p","answers":[],"command":"answer-poll"}"#,
            #"{"type":"polls","pollId":"p","answers":[1],"command":"answer-poll"}"#,
            #"{"type":"polls","pollId":"p","answers":[{"name":"a"}],"command":"new-poll"}"#,
            #"{"type":"polls","pollId":"p","answers":[{"title":"a"}],"command":"new-poll","question":"q"}"#,
            #"{"type":"polls","pollId":"p","answers":[true],"command":"delete-poll"}"#,
        ]
        for text in bad {
            #expect(throws: StanzaError.self, "\(text)") { try PollsCommand(json: text) }
        }
        let huge =
            #"{"type":"polls","pollId":"p","command":"new-poll","question":"\#(String(repeating: "q", count: 2_000))","answers":[{"name":"a"}]}"#
        #expect { try PollsCommand(json: huge) } throws: { ($0 as? StanzaError)?.condition == .policyViolation }
    }

    @Test func aNewPollAndItsAnswersReachEveryoneAndLateJoinersGetThemAll() throws {
        var state = conference()
        let created = try state.polls(try PollsCommand(json: newPoll), from: alice).get()
        #expect(Set(created.compactMap(\.to)) == [focus, alice, bob])
        let relayed = try #require(json(created[0]))
        #expect(relayed["command"] as? String == "new-poll" && relayed["senderId"] as? String == "3f9a1c7e")
        #expect(relayed["question"] as? String == "Retro day?")

        let answered = try state.polls(try PollsCommand(json: answer([false, true])), from: bob).get()
        let vote = try #require(json(answered[0]))
        #expect(vote["senderId"] as? String == "b7e20d94" && vote["senderName"] as? String == "Bob")
        #expect(vote["answers"] as? [Bool] == [false, true])
        // bob changes his mind: one vote per voter per poll.
        _ = try state.polls(try PollsCommand(json: answer([true, false])), from: bob).get()
        #expect(state.pollsState.polls[0].answers.map { $0.voters.map(\.id) } == [["b7e20d94"], []])

        let joined = state.handle(join("e15c8a3f", from: carol, display: "Carol"))
        let old = try #require(joined.compactMap(json).first { $0["command"] as? String == "old-polls" })
        let polls = try #require(old["polls"] as? [[String: Any]])
        #expect(
            polls.count == 1 && polls[0]["pollId"] as? String == "p1" && polls[0]["senderName"] as? String == "Alice"
        )
        let answers = try #require(polls[0]["answers"] as? [[String: Any]])
        #expect((answers[0]["voters"] as? [[String: Any]])?.first?["name"] as? String == "Bob")
    }

    @Test func badCommandsAreRefusedAndTheRoomIsBounded() throws {
        var state = conference()
        _ = try state.polls(try PollsCommand(json: newPoll), from: alice).get()
        let cases: [(PollsCommand, JID, StanzaError.Condition)] = [
            (try PollsCommand(json: newPoll), alice, .notAllowed),
            (try PollsCommand(json: answer([true], poll: "p1")), bob, .badRequest),
            (try PollsCommand(json: answer([true, true], poll: "nope")), bob, .itemNotFound),
            (try PollsCommand(json: answer([true, true])), carol, .itemNotFound),
        ]
        for (command, sender, condition) in cases {
            guard case .failure(let error) = state.polls(command, from: sender) else {
                Issue.record("accepted \(command.kind) from \(sender)")
                continue
            }
            #expect(error.condition == condition)
            #expect(error.text?.isEmpty == false)
        }
        for i in 1..<Polls.maxPolls {
            let text = newPoll.replacingOccurrences(of: #""pollId":"p1""#, with: #""pollId":"p\#(i + 1)""#)
            _ = try state.polls(try PollsCommand(json: text), from: alice).get()
        }
        let onePast = newPoll.replacingOccurrences(of: #""pollId":"p1""#, with: #""pollId":"past""#)
        guard case .failure(let full) = state.polls(try PollsCommand(json: onePast), from: alice) else {
            Issue.record("the room took more than \(Polls.maxPolls) polls")
            return
        }
        #expect(full.condition == .policyViolation)
        #expect(state.pollsState.polls.count == Polls.maxPolls)
    }
}
