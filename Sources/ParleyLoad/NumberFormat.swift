/// Fixed-point and grouped number formatting for tables and the progress line, without Foundation.
enum NumberFormat {
    /// `value` with `digits` decimals (rounded half away from zero).
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "-" : (value > 0 ? "inf" : "-inf") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        var text = (value < 0 && scaled > 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let fraction = Int(scaled - Double(whole) * scale)
            let fractionText = String(fraction)
            text += "." + String(repeating: "0", count: max(0, digits - fractionText.count)) + fractionText
        }
        return text
    }

    /// A count with thousands separators: 12,345.
    static func grouped(_ value: Int) -> String {
        let digits = String(abs(value))
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// A rate or ratio: grouped integer from 100 up, else 3 significant digits.
    static func rate(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        if abs(value) >= 100 { return Self.grouped(Int(value.rounded())) }
        if abs(value) >= 10 { return Self.fixed(value, 1) }
        return Self.fixed(value, 2)
    }

    /// Milliseconds with a precision that suits their size.
    static func milliseconds(_ value: Double) -> String {
        if value >= 100 { return Self.fixed(value, 0) }
        if value >= 10 { return Self.fixed(value, 1) }
        return Self.fixed(value, 2)
    }

    static func padded(_ text: String, _ width: Int, right: Bool = false) -> String {
        let pad = String(repeating: " ", count: max(0, width - text.count))
        return right ? pad + text : text + pad
    }
}
