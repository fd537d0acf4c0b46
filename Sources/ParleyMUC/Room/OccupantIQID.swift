import ParleyCore

/// The id a room puts on an IQ it relays to an occupant (XEP-0045 §7.6 IQ routing, Prosody's
/// `handle_iq_to_occupant`): `base64(sender-real-jid NUL original-id NUL hmac8)`. The answer comes back
/// to the sender's occupant JID with this id, and the room recovers who asked and with which id, without
/// keeping any table. The HMAC (SHA-256, per-service secret, truncated to 8 bytes) stops forgeries.
enum OccupantIQID {
    static func encode(sender: JID, id: String, secret: [UInt8]) -> String {
        var plain = Array(sender.description.utf8)
        plain.append(0)
        plain += Array(id.utf8)
        let mac = HashAlgorithm.sha256.hmac(key: secret, plain).prefix(8)
        plain.append(0)
        plain += mac
        return Base64.encode(plain)
    }

    static func decode(_ encoded: String, secret: [UInt8]) -> (sender: JID, id: String)? {
        guard let bytes = Base64.decode(encoded), bytes.count > 10 else { return nil }
        let macStart = bytes.count - 8
        guard bytes[macStart - 1] == 0 else { return nil }
        let plain = Array(bytes[..<(macStart - 1)])
        let mac = Array(bytes[macStart...])
        guard constantTimeEquals(Array(HashAlgorithm.sha256.hmac(key: secret, plain).prefix(8)), mac),
            let separator = plain.firstIndex(of: 0),
            let senderText = String(validating: plain[..<separator], as: UTF8.self),
            let id = String(validating: plain[(separator + 1)...], as: UTF8.self),
            let sender = try? JID(senderText)
        else { return nil }
        return (sender, id)
    }
}
