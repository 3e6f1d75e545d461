#ifndef HPCS_CNCURSES_SHIM_H
#define HPCS_CNCURSES_SHIM_H
// SwiftPM drops pkg-config's -D flags for ncursesw; without these the wide
// character API (mvadd_wch, wget_wch, setcchar) is not declared.
#define NCURSES_WIDECHAR 1
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 600
#endif
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1
#endif
#include <locale.h>
#include <wchar.h>
#include <ncursesw/ncurses.h>

// Attribute and key macros are function-like or computed: Swift cannot see them.
static inline attr_t hpcs_attr_normal(void) { return A_NORMAL; }
static inline attr_t hpcs_attr_bold(void) { return A_BOLD; }
static inline attr_t hpcs_attr_underline(void) { return A_UNDERLINE; }
static inline attr_t hpcs_attr_reverse(void) { return A_REVERSE; }
static inline attr_t hpcs_attr_dim(void) { return A_DIM; }
static inline attr_t hpcs_attr_italic(void) { return A_ITALIC; }
static inline int hpcs_key_f(int n) { return KEY_F(n); }
static inline mmask_t hpcs_all_mouse_events(void) { return ALL_MOUSE_EVENTS | REPORT_MOUSE_POSITION; }
static inline mmask_t hpcs_button1_pressed(void) { return BUTTON1_PRESSED; }
static inline mmask_t hpcs_button1_clicked(void) { return BUTTON1_CLICKED; }
static inline mmask_t hpcs_button4_pressed(void) { return BUTTON4_PRESSED; }
static inline mmask_t hpcs_button5_pressed(void) { return BUTTON5_PRESSED; }

// ncurses' globals, read through functions (Swift 6 refuses shared mutable globals).
static inline WINDOW *hpcs_stdscr(void) { return stdscr; }
static inline int hpcs_lines(void) { return LINES; }
static inline int hpcs_cols(void) { return COLS; }
static inline int hpcs_colors(void) { return COLORS; }
static inline int hpcs_color_pairs(void) { return COLOR_PAIRS; }

/// Draws one cell: a grapheme given as UTF-32 code points (base + combining).
static inline int hpcs_put_cell(int y, int x, const wchar_t *chars, attr_t attrs, short pair) {
    cchar_t cell;
    if (setcchar(&cell, chars, attrs, pair, NULL) != OK) return ERR;
    return mvadd_wch(y, x, &cell);
}
#endif
