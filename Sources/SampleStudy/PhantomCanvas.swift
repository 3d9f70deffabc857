#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A deterministic random source (SplitMix64): the same seed gives the same numbers on every run.
struct PhantomRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A seed derived from several values, so each slice or structure gets its own stream.
    static func seed(_ values: UInt64...) -> UInt64 {
        var generator = PhantomRandom(seed: 0x9E37_79B9_7F4A_7C15)
        var result: UInt64 = 0
        for value in values {
            generator.state ^= value
            result = generator.next()
        }
        return result
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in `range`.
    mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + uniform() * (range.upperBound - range.lowerBound)
    }

    /// Two independent standard normal values (Box–Muller).
    mutating func gaussianPair() -> (Double, Double) {
        let u1 = max(uniform(), 0x1.0p-53)
        let u2 = uniform()
        let radius = (-2 * log(u1)).squareRoot()
        return (radius * cos(2 * Double.pi * u2), radius * sin(2 * Double.pi * u2))
    }

    /// A standard normal value drawn from a fixed table of 65,536 Box–Muller samples: plenty for
    /// texture and noise, and a fraction of the cost of a logarithm and two trigonometric calls.
    mutating func gaussian() -> Float {
        Self.gaussianTable[Int(next() >> 48)]
    }

    private static let gaussianTable: [Float] = {
        var generator = PhantomRandom(seed: 0x6A09_E667_F3BC_C908)
        var table = [Float](repeating: 0, count: 1 << 16)
        for index in stride(from: 0, to: table.count, by: 2) {
            let (first, second) = generator.gaussianPair()
            table[index] = Float(first)
            table[index + 1] = Float(second)
        }
        return table
    }()
}

/// A slice being painted, in millimetres: `x` to the patient's left (image right), `y` posterior
/// (image down), origin at the image centre. Shapes are blended in with a soft edge about one pixel
/// wide, which stands in for the partial-volume blur of a real reconstruction.
struct PhantomCanvas {
    let rows: Int
    let columns: Int
    /// Millimetres per pixel.
    let spacing: Double
    var values: [Float]
    var random: PhantomRandom

    init(rows: Int, columns: Int, fieldOfView: Double, background: Float, seed: UInt64) {
        self.rows = rows
        self.columns = columns
        spacing = fieldOfView / Double(max(rows, columns))
        values = [Float](repeating: background, count: rows * columns)
        random = PhantomRandom(seed: seed)
    }

    /// A shape: a rotated superellipse (exponent 2 is an ellipse, larger is boxier).
    struct Shape {
        var x: Double
        var y: Double
        var halfWidth: Double
        var halfHeight: Double
        var angle: Double = 0
        var exponent: Double = 2
        /// Only points with y above (anterior to) this are painted: the top of an air–fluid level.
        var clipBelowY: Double = .infinity

        func scaled(_ factor: Double) -> Shape {
            var copy = self
            copy.halfWidth *= factor
            copy.halfHeight *= factor
            return copy
        }

        func shrunk(by millimetres: Double) -> Shape {
            var copy = self
            copy.halfWidth = max(0, halfWidth - millimetres)
            copy.halfHeight = max(0, halfHeight - millimetres)
            return copy
        }
    }

    /// Blends `value` (plus Gaussian `jitter` per pixel, for trabecular or parenchymal texture) into
    /// the pixels covered by `shape`.
    mutating func paint(_ shape: Shape, value: Double, jitter: Double = 0) {
        guard shape.halfWidth > 0, shape.halfHeight > 0 else { return }
        let reach = max(shape.halfWidth, shape.halfHeight) + 2 * spacing
        let (firstColumn, lastColumn) = pixelRange(shape.x - reach, shape.x + reach, count: columns)
        let (firstRow, lastRow) = pixelRange(shape.y - reach, shape.y + reach, count: rows)
        guard firstColumn <= lastColumn, firstRow <= lastRow else { return }
        let cosine = cos(shape.angle)
        let sine = sin(shape.angle)
        let smaller = min(shape.halfWidth, shape.halfHeight)
        let edge = spacing
        let exponent = max(2, shape.exponent)
        // In these normalised units the soft edge spans 1 ± margin; beyond it alpha is 0 or 1.
        let margin = 0.5 * edge / smaller
        for row in firstRow...lastRow {
            let y = (Double(row) + 0.5 - Double(rows) / 2) * spacing
            if y > shape.clipBelowY { continue }
            for column in firstColumn...lastColumn {
                let x = (Double(column) + 0.5 - Double(columns) / 2) * spacing
                let dx = x - shape.x
                let dy = y - shape.y
                let u = abs(dx * cosine + dy * sine) / shape.halfWidth
                let v = abs(-dx * sine + dy * cosine) / shape.halfHeight
                // A superellipse's norm lies between max(u, v) and the ellipse's √(u² + v²), so the
                // costly power form is needed only near the outline.
                if max(u, v) >= 1 + margin { continue }
                var q = (u * u + v * v).squareRoot()
                if exponent != 2, q > 1 - margin {
                    q = pow(pow(u, exponent) + pow(v, exponent), 1 / exponent)
                }
                // Approximate signed distance to the outline, in millimetres.
                let distance = (q - 1) * smaller
                let alpha = Float(min(1, max(0, 0.5 - distance / edge)))
                guard alpha > 0 else { continue }
                var target = Float(value)
                if jitter > 0 { target += Float(jitter) * random.gaussian() }
                let index = row * columns + column
                values[index] = values[index] * (1 - alpha) + target * alpha
            }
        }
    }

    /// Paints a bone cross-section: a cortical shell of `cortex` millimetres around cancellous bone.
    mutating func paintBone(_ shape: Shape, cortex: Double, cortical: Double, cancellous: Double) {
        paint(shape, value: cortical, jitter: 25)
        paint(shape.shrunk(by: cortex), value: cancellous, jitter: 45)
    }

    private func pixelRange(_ low: Double, _ high: Double, count: Int) -> (Int, Int) {
        let first = Int((low / spacing + Double(count) / 2).rounded(.down))
        let last = Int((high / spacing + Double(count) / 2).rounded(.up))
        return (max(0, first), min(count - 1, last))
    }

    /// Adds smooth, blotchy variation (bilinear value noise on a `cell`-millimetre grid) of standard
    /// deviation about `amplitude` to every pixel whose value lies in `range`.
    mutating func addTexture(cell: Double, amplitude: Double, range: ClosedRange<Float>) {
        let step = max(1, Int((cell / spacing).rounded()))
        let gridColumns = columns / step + 2
        let gridRows = rows / step + 2
        var grid = [Double](repeating: 0, count: gridColumns * gridRows)
        for index in grid.indices { grid[index] = amplitude * Double(random.gaussian()) }
        for row in 0..<rows {
            let gy = row / step
            let fy = Double(row % step) / Double(step)
            for column in 0..<columns {
                let index = row * columns + column
                guard range.contains(values[index]) else { continue }
                let gx = column / step
                let fx = Double(column % step) / Double(step)
                let top = grid[gy * gridColumns + gx] * (1 - fx) + grid[gy * gridColumns + gx + 1] * fx
                let bottom =
                    grid[(gy + 1) * gridColumns + gx] * (1 - fx) + grid[(gy + 1) * gridColumns + gx + 1] * fx
                values[index] += Float(top * (1 - fy) + bottom * fy)
            }
        }
    }

    /// Adds reconstruction-like noise of standard deviation `sigma`: white noise partly smoothed by a
    /// 3×3 binomial kernel, because CT noise has most of its power at low and middle frequencies.
    mutating func addNoise(sigma: Double) {
        var white = [Float](repeating: 0, count: rows * columns)
        for index in white.indices { white[index] = random.gaussian() }
        // blend = a·smooth/0.375 + b·white; the smoothed field has σ 0.375 and correlation 2/3 with
        // the white one, so the blend's variance is a² + b² + 2ab·(2/3).
        let a = 0.8
        let b = 0.6
        let scale = sigma / (a * a + b * b + 2 * a * b * 2 / 3).squareRoot()
        for row in 0..<rows {
            for column in 0..<columns {
                var smooth: Float = 0
                for dy in -1...1 {
                    let r = min(rows - 1, max(0, row + dy))
                    for dx in -1...1 {
                        let c = min(columns - 1, max(0, column + dx))
                        let weight: Float = (dy == 0 ? 2 : 1) * (dx == 0 ? 2 : 1)
                        smooth += weight * white[r * columns + c]
                    }
                }
                smooth /= 16
                let noise = a * Double(smooth) / 0.375 + b * Double(white[row * columns + column])
                values[row * columns + column] += Float(scale * noise)
            }
        }
    }
}
