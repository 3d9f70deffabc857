/// A ZIP entry's modification time in MS-DOS form: local date and time with 2-second resolution,
/// years 1980–2107. This module writes UTC.
public struct ZIPTimestamp: Sendable, Hashable {
    /// 1980...2107 (clamped).
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    /// 1980-01-01 00:00:00, the earliest DOS time.
    public static let dosEpoch = ZIPTimestamp(year: 1980, month: 1, day: 1, hour: 0, minute: 0, second: 0)

    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// The UTC calendar time of `secondsSince1970` (Unix time), clamped to the DOS range.
    public init(secondsSince1970: Int64) {
        let secondsPerDay: Int64 = 86_400
        var days = secondsSince1970 / secondsPerDay
        var secondsOfDay = secondsSince1970 % secondsPerDay
        if secondsOfDay < 0 {
            secondsOfDay += secondsPerDay
            days -= 1
        }
        // Days to civil date (proleptic Gregorian), after Howard Hinnant's public-domain algorithm.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        if year < 1980 {
            self = .dosEpoch
            return
        }
        if year > 2107 {
            self.init(year: 2107, month: 12, day: 31, hour: 23, minute: 59, second: 58)
            return
        }
        self.init(
            year: Int(year),
            month: Int(month),
            day: Int(day),
            hour: Int(secondsOfDay / 3600),
            minute: Int(secondsOfDay % 3600 / 60),
            second: Int(secondsOfDay % 60)
        )
    }

    /// The DOS time word: hour << 11 | minute << 5 | second / 2.
    var dosTime: UInt16 {
        UInt16(clamping: (hour.clamped(0, 23) << 11) | (minute.clamped(0, 59) << 5) | (second.clamped(0, 59) / 2))
    }

    /// The DOS date word: (year − 1980) << 9 | month << 5 | day.
    var dosDate: UInt16 {
        UInt16(clamping: ((year.clamped(1980, 2107) - 1980) << 9) | (month.clamped(1, 12) << 5) | day.clamped(1, 31))
    }
}

extension Int {
    fileprivate func clamped(_ lower: Int, _ upper: Int) -> Int { Swift.min(Swift.max(self, lower), upper) }
}
