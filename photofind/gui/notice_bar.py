"""A message that stays until it is dismissed: a problem the user should not miss (a folder
that cannot be reached, indexing that stopped), where a status-bar message would be gone
after a few seconds, perhaps unseen."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QStyle, QToolBar, QToolButton, QWidget

from photofind.gui.style import plain_label


class NoticeBar(QToolBar):
    """A strip at the bottom of the window, above the status bar; a toolbar because that is
    where QMainWindow can put one, but one that cannot be moved or switched off."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Notices", parent)
        self.setMovable(False)
        self.setFloatable(False)
        self.toggleViewAction().setVisible(False)
        body = QWidget()
        layout = QHBoxLayout(body)
        layout.setContentsMargins(8, 2, 2, 2)
        self.label = plain_label(wrap=True, selectable=True)
        self.label.setAccessibleName("Notice")
        self.dismiss = QToolButton()
        self.dismiss.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarCloseButton)
        )
        self.dismiss.setAccessibleName("Dismiss notice")
        self.dismiss.setToolTip("Dismiss")
        self.dismiss.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.dismiss, 0, Qt.AlignmentFlag.AlignTop)
        self.addWidget(body)
        self.hide()

    def show_notice(self, text: str) -> None:
        self.label.setText(text)
        self.show()

    def text(self) -> str:
        """The notice shown, or "" once dismissed."""
        return "" if self.isHidden() else self.label.text()
