"""Help → Keyboard Shortcuts: the keys of the app's actions, read from the actions themselves
so that the list never goes stale."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from photofind.gui.style import mute, plain_label

# A titled group of actions: the window's, the grid's, the viewer's.
Section = tuple[str, Iterable[QAction]]


def shortcut_rows(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    """(name, keys) of each action with keys, e.g. ("Show in Folder", "Ctrl+Shift+R"). The
    name is the icon text: the action's own name, where its text may say "Open 3 Photos"."""
    rows: dict[str, str] = {}
    for action in actions:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        if keys:
            name = action.iconText()
            # Two actions of one name (the viewer's Space and Esc both close it) are one row.
            rows[name] = ", ".join(filter(None, [rows.get(name, ""), *keys]))
    return list(rows.items())


class ShortcutsDialog(QDialog):
    def __init__(self, sections: Sequence[Section], parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        # The list is longer than a small screen is high: it scrolls.
        content = QWidget()
        layout = QVBoxLayout(content)
        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.rows: list[tuple[str, str]] = []
        for title, actions in sections:
            rows = shortcut_rows(actions)
            if not rows:
                continue
            heading = plain_label(title)
            mute(heading)
            layout.addWidget(heading)
            form = QFormLayout()
            for name, keys in rows:
                form.addRow(plain_label(name), plain_label(keys))
            layout.addLayout(form)
            self.rows += rows
        layout.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        outer = QVBoxLayout(self)
        outer.addWidget(scroll, 1)
        outer.addWidget(buttons)
        self.resize(content.sizeHint().width() + 40, 560)
