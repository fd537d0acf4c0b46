/// A rate as Prosody's `mod_limits` writes it (`limits.c2s.rate`, docker's `PROSODY_C2S_LIMIT`): `<n> <unit>/s`
/// with decimal units, by the unit's first letter (`b`, `k` = 10³, `m` = 10⁶, `g` = 10⁹), so `10kb/s` is 10,000
/// bytes per second.
enum ProsodyByteRate {
    /// Bytes per second, at most 1 GiB; nil for anything else.
    static func bytesPerSecond(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard trimmed.hasSuffix("/s") else { return nil }
        let amount = trimmed.dropLast(2)
        let digits = amount.prefix { $0.isASCII && $0.isNumber }
        let unit = amount.dropFirst(digits.count).drop { $0 == " " }
        let exponents: [Character: Int] = ["b": 0, "k": 3, "m": 6, "g": 9]
        guard let quantity = Int(digits), quantity > 0, quantity <= 1 << 30, let first = unit.first,
            let exponent = exponents[first], unit.allSatisfy({ $0.isLetter })
        else { return nil }
        var bytes = quantity
        for _ in 0..<exponent {
            guard bytes <= (1 << 30) / 10 else { return nil }
            bytes *= 10
        }
        return bytes
    }
}
