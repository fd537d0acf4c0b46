import ParleyCore
import ParleyXML
import Testing

@testable import ParleyMUC

private let roomJID = try! JID("weeklysync@muc.meet.jitsi")
private let focus = try! JID("focus@auth.meet.jitsi/focus")
private let jvb = try! JID("jvb@auth.meet.jitsi/bridge1")
private let alice = try! JID("3f9a1c7e@meet.jitsi/6c1d9e0b")
private let bob = try! JID("b7e20d94@meet.jitsi/r2")
private let recorder = try! JID("recorder@recorder.meet.jitsi/rec1")

private func service(_ change: (inout MUCServiceConfiguration) -> Void = { _ in }) -> MUCServiceConfiguration {
    var s = MUCServiceConfiguration(domain: "muc.meet.jitsi")
    s.admins = [focus.bare]
    change(&s)
    return s
}

private func room(_ s: MUCServiceConfiguration = service(), nameRefusal: StanzaError? = nil) -> RoomState {
    RoomState(
        jid: roomJID,
        service: s,
        meetingID: "a61f0c3e-8b27-4d94-b5e1-7c2d9f04e8ab",
        createdMillis: 0,
        iqSecret: Array("secret".utf8),
        nameRefusal: nameRefusal
    )
}

private func presence(_ nick: String, from: JID, password: String? = nil) -> Stanza {
    var element = XMLElement(name: "presence", namespace: Namespace.client)
    var x = XMLElement(name: "x", namespace: Namespace.muc)
    if let password {
        var p = XMLElement(name: "password", namespace: Namespace.muc)
        p.append(text: password)
        x.append(p)
    }
    element.append(x)
    return Stanza(unchecked: element, kind: .presence, from: from, to: (try? roomJID.with(resource: nick)) ?? roomJID)
}

/// A join as `RoomState.join` builds it.
private func request(_ nick: String, from: JID, in state: RoomState, password: String? = nil) -> JoinRequest {
    JoinRequest(
        presence: presence(nick, from: from, password: password),
        from: from,
        nick: nick,
        isAdmin: state.service.isAdmin(from),
        affiliation: state.affiliation(of: from)
    )
}

private func condition(_ verdict: JoinVerdict) -> StanzaError.Condition? {
    if case .refuse(let error) = verdict { return error.condition }
    return nil
}

/// Each join policy on its own: the join and the room in, the verdict out (no sockets, no other policy).
@Suite struct JoinPoliciesTests {
    @Test func nicknamePolicyRefusesNicksThatCannotBeResources() {
        let state = room()
        let policy = NicknamePolicy()
        #expect(policy.evaluate(request("3f9a1c7e", from: alice, in: state), in: state) == .admit)
        #expect(policy.evaluate(request("Alice Smith", from: alice, in: state), in: state) == .admit)
        for bad in [String(repeating: "n", count: 129), " lead", "trail ", "tab\there", "line\nbreak"] {
            #expect(condition(policy.evaluate(request(bad, from: alice, in: state), in: state)) == .notAcceptable)
        }
    }

    @Test func domainAccessPolicyAdmitsOnlyTheAllowedDomains() {
        let open = room()
        #expect(DomainAccessPolicy().evaluate(request("x", from: alice, in: open), in: open) == .admit)
        let brewery = room(service { $0.allowedDomains = ["auth.meet.jitsi"] })
        #expect(DomainAccessPolicy().evaluate(request("bridge1", from: jvb, in: brewery), in: brewery) == .admit)
        let refused = DomainAccessPolicy().evaluate(request("bridge2", from: alice, in: brewery), in: brewery)
        guard case .refuse(let error) = refused else {
            Issue.record("an anonymous user was admitted to the brewery: \(refused)")
            return
        }
        #expect(error.condition == .notAllowed && error.type == .cancel)
        #expect(error.text?.isEmpty == false)
        // A subdomain is another domain.
        let sub = try! JID("x@evil.auth.meet.jitsi/r")
        #expect(
            condition(DomainAccessPolicy().evaluate(request("x", from: sub, in: brewery), in: brewery)) == .notAllowed
        )
    }

    @Test func roomNameJoinPolicyRefusesAllButAdmins() {
        let refusal = StanzaError(.notAllowed, type: .cancel, text: "room name looks like an e-mail address")
        let state = room(nameRefusal: refusal)
        #expect(RoomNameJoinPolicy().evaluate(request("x", from: alice, in: state), in: state) == .refuse(refusal))
        #expect(RoomNameJoinPolicy().evaluate(request("focus", from: focus, in: state), in: state) == .admit)
        let fine = room()
        #expect(RoomNameJoinPolicy().evaluate(request("x", from: alice, in: fine), in: fine) == .admit)
    }

    @Test func focusLockPolicyHoldsUntilFocusAndBoundsTheQueue() {
        var state = room(
            service {
                $0.focusLock = true
                $0.maxQueuedJoins = 1
            }
        )
        let policy = FocusLockPolicy()
        #expect(policy.evaluate(request("3f9a1c7e", from: alice, in: state), in: state) == .hold)
        #expect(policy.evaluate(request("focus", from: focus, in: state), in: state) == .admit)
        _ = state.handle(presence("3f9a1c7e", from: alice))
        #expect(state.queuedJoinCount == 1)
        #expect(condition(policy.evaluate(request("b7e20d94", from: bob, in: state), in: state)) == .resourceConstraint)
        _ = state.handle(presence("focus", from: focus))
        #expect(policy.evaluate(request("b7e20d94", from: bob, in: state), in: state) == .admit)
        let unlocked = room()
        #expect(policy.evaluate(request("x", from: alice, in: unlocked), in: unlocked) == .admit)
    }

    @Test func banPolicyRefusesOutcastsOnly() {
        var state = room()
        state.affiliations[bob.bare] = .outcast
        #expect(condition(BanPolicy().evaluate(request("b", from: bob, in: state), in: state)) == .forbidden)
        #expect(BanPolicy().evaluate(request("a", from: alice, in: state), in: state) == .admit)
    }

    @Test func nickConflictPolicyRefusesAnotherUsersNickButNotTheSameUsersSecondSession() {
        var state = room()
        _ = state.handle(presence("focus", from: focus))
        _ = state.handle(presence("alice", from: alice))
        #expect(
            condition(NickConflictPolicy().evaluate(request("alice", from: bob, in: state), in: state)) == .conflict
        )
        let second = try! JID("3f9a1c7e@meet.jitsi/other-tab")
        #expect(NickConflictPolicy().evaluate(request("alice", from: second, in: state), in: state) == .admit)
        #expect(NickConflictPolicy().evaluate(request("bob", from: bob, in: state), in: state) == .admit)
    }

    @Test func roomLockPolicyAdmitsOnlyOwnersUntilConfigured() {
        var state = room(service { $0.roomLocking = true })
        #expect(state.locked)
        #expect(RoomLockPolicy().evaluate(request("focus", from: focus, in: state), in: state) == .admit)
        #expect(condition(RoomLockPolicy().evaluate(request("a", from: alice, in: state), in: state)) == .itemNotFound)
        state.locked = false
        #expect(RoomLockPolicy().evaluate(request("a", from: alice, in: state), in: state) == .admit)
    }

    @Test func membersOnlyPolicyAdmitsMembersAndAbove() {
        var state = room()
        state.configuration.membersOnly = true
        let refused = MembersOnlyPolicy().evaluate(request("b", from: bob, in: state), in: state)
        #expect(condition(refused) == .registrationRequired)
        state.affiliations[bob.bare] = .member
        #expect(MembersOnlyPolicy().evaluate(request("b", from: bob, in: state), in: state) == .admit)
        #expect(MembersOnlyPolicy().evaluate(request("focus", from: focus, in: state), in: state) == .admit)
    }

    @Test func passwordPolicyNeedsTheExactPasswordExceptForAdmins() {
        var state = room()
        #expect(PasswordPolicy().evaluate(request("b", from: bob, in: state), in: state) == .admit)
        state.configuration.password = "s3cret ✓"
        #expect(condition(PasswordPolicy().evaluate(request("b", from: bob, in: state), in: state)) == .notAuthorized)
        let wrong = request("b", from: bob, in: state, password: "s3cret")
        #expect(condition(PasswordPolicy().evaluate(wrong, in: state)) == .notAuthorized)
        let right = request("b", from: bob, in: state, password: "s3cret ✓")
        #expect(PasswordPolicy().evaluate(right, in: state) == .admit)
        #expect(PasswordPolicy().evaluate(request("focus", from: focus, in: state), in: state) == .admit)
        // muc_password_whitelist: the recorder's domain follows the lock without the password.
        var exempt = room(service { $0.passwordExempt = [try! JID("recorder.meet.jitsi")] })
        exempt.configuration.password = "s3cret ✓"
        #expect(PasswordPolicy().evaluate(request("rec", from: recorder, in: exempt), in: exempt) == .admit)
        #expect(condition(PasswordPolicy().evaluate(request("b", from: bob, in: exempt), in: exempt)) == .notAuthorized)
    }

    @Test func maxOccupantsPolicyTakesTheLowestLimitAndSkipsTheExempt() {
        var state = room(
            service {
                $0.maxOccupants = 2
                $0.maxOccupantsExempt = [try! JID("recorder.meet.jitsi")]
            }
        )
        _ = state.handle(presence("focus", from: focus))
        _ = state.handle(presence("alice", from: alice))
        // The owner lifts the room's own limit: the service's cap still holds.
        state.configuration.maxOccupants = nil
        #expect(state.effectiveMaxOccupants == 2)
        #expect(MaxOccupantsPolicy().evaluate(request("bob", from: bob, in: state), in: state) == .admit)
        _ = state.handle(presence("bob", from: bob))
        let carol = try! JID("e15c8a3f@meet.jitsi/r3")
        #expect(
            condition(MaxOccupantsPolicy().evaluate(request("carol", from: carol, in: state), in: state))
                == .serviceUnavailable
        )
        // The recorder's domain is exempt: admitted, and not counted once in.
        #expect(MaxOccupantsPolicy().evaluate(request("rec", from: recorder, in: state), in: state) == .admit)
        // A room limit below the cap wins.
        state.configuration.maxOccupants = 1
        #expect(state.effectiveMaxOccupants == 1)
        state.configuration.maxOccupants = 500
        #expect(state.effectiveMaxOccupants == 2)
    }

    @Test func theStandardOrderIsDocumentedAndTheFirstRefusalDecides() {
        let names = JoinPolicies.standard.policies.map { String(describing: type(of: $0)) }
        #expect(
            names == [
                "NicknamePolicy", "DomainAccessPolicy", "RoomNameJoinPolicy", "FocusLockPolicy", "BanPolicy",
                "NickConflictPolicy", "BreakoutRoomsNickPolicy", "RoomLockPolicy", "LobbyPolicy", "MembersOnlyPolicy",
                "PasswordPolicy", "MaxOccupantsPolicy",
            ]
        )
        // Banned and without the password: the ban is what the user is told (§7.2.8 before §7.2.5).
        var state = room()
        _ = state.handle(presence("focus", from: focus))
        state.configuration.password = "pw"
        state.affiliations[bob.bare] = .outcast
        #expect(condition(JoinPolicies.standard.evaluate(request("b", from: bob, in: state), in: state)) == .forbidden)
        // Outside the allowed domains comes before the focus lock: no one outside waits in the queue.
        let brewery = room(
            service {
                $0.allowedDomains = ["auth.meet.jitsi"]
                $0.focusLock = true
            }
        )
        #expect(
            condition(JoinPolicies.standard.evaluate(request("x", from: alice, in: brewery), in: brewery))
                == .notAllowed
        )
        #expect(JoinPolicies.standard.evaluate(request("b1", from: jvb, in: brewery), in: brewery) == .hold)
    }
}
