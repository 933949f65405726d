// Decimal text to Float for the CSV readers: strict about what counts as a number, rounded once, and
// fast on the short decimals tables are made of.
import CortexCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Powers of ten that Float holds exactly (5^10 < 2^24).
private let exactPowersOfTen: [Float] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10]

/// The value of the decimal number spelled by `count` bytes at `text` — `-12`, `+0.5`, `.5`, `1.`, `3e-4` —
/// or nil for anything else, including `inf`, `nan`, hexadecimal and surrounding blanks, which `strtof`
/// alone would accept. The result is correctly rounded to Float.
func parseDecimal(_ text: UnsafePointer<UInt8>, count: Int) -> Float? {
    var i = 0
    var negative = false
    if count > 0 && (text[0] == UInt8(ascii: "-") || text[0] == UInt8(ascii: "+")) {
        negative = text[0] == UInt8(ascii: "-")
        i = 1
    }
    var mantissa: UInt64 = 0, significantDigits = 0, exponent = 0
    var sawDigit = false, sawPoint = false, inexact = false
    while i < count {
        let digit = text[i] &- 48
        if digit < 10 {
            sawDigit = true
            if mantissa == 0 && digit == 0 {
                if sawPoint { exponent -= 1 }        // a leading zero only moves the point
            } else if significantDigits < 19 {
                mantissa = mantissa * 10 + UInt64(digit)
                significantDigits += 1
                if sawPoint { exponent -= 1 }
            } else {
                inexact = true                        // too many digits for the mantissa: strtof decides
                if !sawPoint { exponent += 1 }
            }
        } else if text[i] == UInt8(ascii: ".") && !sawPoint {
            sawPoint = true
        } else {
            break
        }
        i += 1
    }
    guard sawDigit else { return nil }
    if i < count {
        guard text[i] == UInt8(ascii: "e") || text[i] == UInt8(ascii: "E") else { return nil }
        i += 1
        var exponentNegative = false
        if i < count && (text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+")) {
            exponentNegative = text[i] == UInt8(ascii: "-")
            i += 1
        }
        var written = 0, exponentDigits = 0
        while i < count, text[i] &- 48 < 10 {
            written = min(written * 10 + Int(text[i] &- 48), 1_000_000)  // saturate: far past Float's range anyway
            exponentDigits += 1
            i += 1
        }
        guard exponentDigits > 0, i == count else { return nil }
        exponent += exponentNegative ? -written : written
    }
    // Clinger's fast path: an exact mantissa and an exact power of ten give one correctly rounded operation.
    if !inexact && mantissa <= 1 << 24 && exponent >= -10 && exponent <= 10 {
        var value = Float(mantissa)
        value = exponent < 0 ? value / exactPowersOfTen[-exponent] : value * exactPowersOfTen[exponent]
        return negative ? -value : value
    }
    return withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer in
        for k in 0..<count { buffer[k] = CChar(bitPattern: text[k]) }
        buffer[count] = 0
        var end: UnsafeMutablePointer<CChar>?
        let value = strtof(buffer.baseAddress!, &end)
        return end == buffer.baseAddress! + count ? value : nil
    }
}
