import Foundation
import LoadshapeWorkload

extension CSVBytes {
    /// The index of column `name` in `header`, or an error naming the file, the header line and what was found.
    public static func requireColumn(_ name: String, in header: [String], shown: [String], file: String, line: Int)
        throws(IOError) -> Int
    {
        guard let i = header.firstIndex(of: name) else {
            throw IOError("\(file):\(line): header has no '\(name)' column (found: \(shown.joined(separator: ", ")))")
        }
        return i
    }

    /// Reads a whole file, naming it in the error.
    public static func load(_ file: String) throws(IOError) -> CSVBytes {
        do {
            return CSVBytes(file: file, bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: file))))
        } catch {
            throw IOError("\(file): cannot read the file (\(error.localizedDescription))")
        }
    }
}
