/// The digit groups of a run such as `0176-1234-5678` or `2025.11.22`, for the phone detector's exceptions:
/// calendar dates, time ranges and IPv4 addresses are numbers that do not identify a person.
///
/// Built only for runs long enough to be a phone number, so ordinary names never allocate one.
struct DigitGroups {
    struct Group {
        var length: Int
        var value: Int
        /// The separator before the group (0 for the first group).
        var separator: UInt8
    }

    private(set) var groups: [Group] = []

    init(_ run: UnsafeBufferPointer<UInt8>) {
        var separator: UInt8 = 0
        var current: Group?
        for byte in run {
            if RoomNameBytes.isDigit(byte) {
                let digit = Int(byte - UInt8(ascii: "0"))
                if var group = current {
                    group.length += 1
                    // Values matter only for groups of up to eight digits (dates, IPv4 parts); longer ones are capped.
                    group.value = group.length <= 8 ? group.value * 10 + digit : group.value
                    current = group
                } else {
                    current = Group(length: 1, value: digit, separator: separator)
                }
            } else {
                if let group = current { self.groups.append(group) }
                current = nil
                separator = byte
            }
        }
        if let group = current { self.groups.append(group) }
    }

    /// `a.b.c.d` with each part 0–255.
    var isIPv4Address: Bool {
        self.groups.count == 4
            && self.groups.enumerated().allSatisfy { index, group in
                (index == 0 || group.separator == RoomNameBytes.dot) && group.length <= 3 && group.value <= 255
            }
    }

    /// `hh.mm-hh.mm` (or with `_` between the times): a range of two times of day, `12.30-13.45`.
    var isTimeRange: Bool {
        guard self.groups.count == 4, self.groups.allSatisfy({ $0.length == 2 }) else { return false }
        let (startHour, startMinute, endHour, endMinute) = (
            self.groups[0], self.groups[1], self.groups[2], self.groups[3]
        )
        return startMinute.separator == RoomNameBytes.dot && endMinute.separator == RoomNameBytes.dot
            && (endHour.separator == RoomNameBytes.hyphen || endHour.separator == RoomNameBytes.underscore)
            && startHour.value <= 23 && endHour.value <= 23 && startMinute.value <= 59 && endMinute.value <= 59
    }

    /// How many digits belong to calendar dates: `yyyy-mm-dd`, `dd.mm.yyyy`, `mm-dd-yyyy` (three groups) or
    /// `yyyymmdd`, `ddmmyyyy`, `mmddyyyy` (one group of eight), years 1900–2099.
    var dateDigits: Int {
        var digits = 0
        var index = 0
        while index < self.groups.count {
            let group = self.groups[index]
            if index + 2 < self.groups.count,
                Self.isDate(group, self.groups[index + 1], self.groups[index + 2])
            {
                digits += 8
                index += 3
            } else {
                if group.length == 8, Self.isCompactDate(group.value) { digits += 8 }
                index += 1
            }
        }
        return digits
    }

    private static func isDate(_ first: Group, _ second: Group, _ third: Group) -> Bool {
        switch (first.length, second.length, third.length) {
        case (4, 2, 2):
            return Self.isDate(year: first.value, month: second.value, day: third.value)
        case (2, 2, 4):
            return Self.isDate(year: third.value, month: second.value, day: first.value)
                || Self.isDate(year: third.value, month: first.value, day: second.value)
        default:
            return false
        }
    }

    private static func isCompactDate(_ value: Int) -> Bool {
        let (high, low) = (value / 10_000, value % 10_000)
        return Self.isDate(year: high, month: low / 100, day: low % 100)
            || Self.isDate(year: low, month: high % 100, day: high / 100)
            || Self.isDate(year: low, month: high / 100, day: high % 100)
    }

    private static func isDate(year: Int, month: Int, day: Int) -> Bool {
        (1900...2099).contains(year) && (1...12).contains(month) && (1...31).contains(day)
    }
}
