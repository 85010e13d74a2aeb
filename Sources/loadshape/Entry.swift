import LoadshapeCommands

@main
struct Entry {
    static func main() { Loadshape.runFromCommandLine() }
}
