import CNcurses

/// The ncurses this process runs with, e.g. "ncurses 6.4.20221231".
public enum Ncurses {
    public static var version: String { String(cString: curses_version()) }
}
