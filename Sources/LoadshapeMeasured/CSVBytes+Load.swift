import Foundation
import LoadshapeIO
import LoadshapeWorkload

extension CSVBytes {
    /// Reads a whole file, naming it in the error.
    static func load(_ file: String) throws(IOError) -> CSVBytes {
        do {
            return CSVBytes(file: file, bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: file))))
        } catch {
            throw IOError("\(file): cannot read the file (\(error.localizedDescription))")
        }
    }
}
