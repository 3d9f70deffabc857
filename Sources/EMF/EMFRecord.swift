/// One CloudWatch Embedded Metric Format record: a JSON object, printed as one line on stdout,
/// from which CloudWatch Logs extracts metrics. Pure encoding, no I/O.
///
/// ```
/// {"_aws":{"Timestamp":…,"CloudWatchMetrics":[{"Namespace":"…","Dimensions":[["library","outcome"]],
///   "Metrics":[{"Name":"ProcessingTime","Unit":"Seconds"},…]}]},
///  "library":"openjpeg","outcome":"completed","ProcessingTime":12.5,…,"taskId":"…"}
/// ```
///
/// Dimensions must stay low-cardinality (each value combination is a billed metric); anything
/// per job, such as a task id, belongs in ``properties``, which are searchable in the logs but
/// never become metrics.
public struct EMFRecord: Sendable, Equatable {
    /// CloudWatch's metric units (the subset a job reports).
    public enum Unit: String, Sendable, CaseIterable {
        case seconds = "Seconds"
        case milliseconds = "Milliseconds"
        case bytes = "Bytes"
        case megabytes = "Megabytes"
        case count = "Count"
        case percent = "Percent"
        case none = "None"
    }

    /// A metric value; only finite values are encoded (JSON has no infinity), others are left out.
    public struct Metric: Sendable, Equatable {
        public var name: String
        public var unit: Unit
        public var value: Double

        public init(_ name: String, _ value: Double, _ unit: Unit) {
            self.name = name
            self.value = value
            self.unit = unit
        }
    }

    public var namespace: String
    /// One dimension set, in order: names and their values.
    public var dimensions: [(name: String, value: String)]
    public var metrics: [Metric]
    /// Extra string members (a task id, a version): searchable in the logs, never metrics.
    public var properties: [(name: String, value: String)]
    /// Milliseconds since 1970.
    public var timestamp: Int64

    public init(
        namespace: String,
        dimensions: [(name: String, value: String)],
        metrics: [Metric],
        properties: [(name: String, value: String)] = [],
        timestamp: Int64
    ) {
        self.namespace = namespace
        self.dimensions = dimensions
        self.metrics = metrics
        self.properties = properties
        self.timestamp = timestamp
    }

    public static func == (lhs: EMFRecord, rhs: EMFRecord) -> Bool {
        lhs.namespace == rhs.namespace && lhs.dimensions.elementsEqual(rhs.dimensions, by: { $0 == $1 })
            && lhs.metrics == rhs.metrics && lhs.properties.elementsEqual(rhs.properties, by: { $0 == $1 })
            && lhs.timestamp == rhs.timestamp
    }

    /// The record as one line of JSON (no newline). Members named like a metric or dimension are
    /// written once; a property with such a name is dropped, so it cannot change a metric's value.
    public func encoded() -> String {
        let finite = metrics.filter { $0.value.isFinite }
        var taken = Set<String>(["_aws"])
        var out = "{\"_aws\":{\"Timestamp\":\(timestamp),\"CloudWatchMetrics\":[{\"Namespace\":"
        out += Self.quote(namespace)
        out += ",\"Dimensions\":[[" + dimensions.map { Self.quote($0.name) }.joined(separator: ",") + "]]"
        out += ",\"Metrics\":["
        out += finite.map { "{\"Name\":\(Self.quote($0.name)),\"Unit\":\(Self.quote($0.unit.rawValue))}" }
            .joined(separator: ",")
        out += "]}]}"
        for (name, value) in dimensions where taken.insert(name).inserted {
            out += "," + Self.quote(name) + ":" + Self.quote(value)
        }
        for metric in finite where taken.insert(metric.name).inserted {
            out += "," + Self.quote(metric.name) + ":" + Self.number(metric.value)
        }
        for (name, value) in properties where taken.insert(name).inserted {
            out += "," + Self.quote(name) + ":" + Self.quote(value)
        }
        return out + "}"
    }

    /// A JSON string literal.
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Whole numbers without a fraction, others in Swift's shortest round-trip form (valid JSON).
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
