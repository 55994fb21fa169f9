/// A CSV field delimiter, as `--delimiter` names it: `,` `;` `tab` (or `\t`) `|`, or their names.
public enum Delimiter: String, Sendable, CaseIterable {
    case comma = ","
    case semicolon = ";"
    case tab = "tab"
    case pipe = "|"

    public var byte: UInt8 {
        switch self {
        case .comma: return UInt8(ascii: ",")
        case .semicolon: return UInt8(ascii: ";")
        case .tab: return 0x09
        case .pipe: return UInt8(ascii: "|")
        }
    }

    /// Reads a delimiter as users write it; nil for anything else.
    public init?(name: String) {
        switch name.lowercased() {
        case ",", "comma": self = .comma
        case ";", "semicolon": self = .semicolon
        case "tab", "\\t", "\t": self = .tab
        case "|", "pipe": self = .pipe
        default: return nil
        }
    }
}
