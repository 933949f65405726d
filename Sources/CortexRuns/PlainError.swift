// The one error type of runs and the command line: a sentence for a person, never an NSError dump.
import Foundation

/// An error said in one plain line, as the person who asked for the run reads it: what is wrong, and what to do.
public struct PlainError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What went wrong in plain words: "/x/y: permission denied" rather than an NSCocoaErrorDomain dump;
/// without the path when `namingPath` is false (the caller names it).
public func plainDescription(_ error: Error, namingPath: Bool = true) -> String {
    let ns = error as NSError
    guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return "\(error)" }
    let path = namingPath ? (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path : nil
    var reason: String?
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        reason = String(cString: strerror(Int32(underlying.code))).lowercased()
    } else if ns.domain == NSPOSIXErrorDomain {
        reason = String(cString: strerror(Int32(ns.code))).lowercased()
    } else {
        switch CocoaError.Code(rawValue: ns.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: reason = "no such file or directory"
        case .fileReadNoPermission, .fileWriteNoPermission: reason = "permission denied"
        case .fileWriteOutOfSpace: reason = "no space left on the device"
        case .fileWriteVolumeReadOnly: reason = "read-only file system"
        case .fileWriteFileExists: reason = "a file is in the way"
        default: reason = nil
        }
    }
    switch (path, reason) {
    case let (path?, reason?): return "\(path): \(reason)"
    case let (nil, reason?): return reason
    case let (path?, nil): return "\(path): \(ns.localizedDescription)"
    default: return ns.localizedDescription
    }
}
