"""The window's central area: the search bar, the model banner, the result count with the
thumbnail-size slider, and either the results grid or a message page."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from photofind.core.api import Filters
from photofind.gui.download_bar import ModelDownloadBar
from photofind.gui.empty_states import MessagePage
from photofind.gui.filters_popup import FiltersPopup
from photofind.gui.folder_choice import pictures_folder
from photofind.gui.model_banner import ModelProblemBanner
from photofind.gui.results_grid import ResultsGrid
from photofind.gui.results_model import ResultsModel
from photofind.gui.search_bar import SearchBar
from photofind.gui.settings import (
    THUMBNAIL_MAX,
    THUMBNAIL_MIN,
    THUMBNAIL_STEP,
    clamp_thumbnail_size,
)
from photofind.gui.status_text import new_matches
from photofind.gui.style import home_relative, mute, plain_label, plain_tooltip, use_role
from photofind.gui.suggestions import Suggestions
from photofind.gui.thumbnail_loader import ThumbnailLoader

READY_PLACEHOLDER = "Describe a photo, or paste a photo's path"
LOADING_PLACEHOLDER = "Loading model…"
DOWNLOADING_PLACEHOLDER = "Downloading model…"
ANY_TAG = "Any tag"  # the tag box's first choice: no tag asked for
FAILED_PLACEHOLDER = "Search needs the model, which is not loaded"


class ResultsPage(QWidget):
    def __init__(
        self, results: ResultsModel, thumbnails: ThumbnailLoader, thumbnail_size: int
    ) -> None:
        super().__init__()
        self._build_search_row()
        self.suggestions = Suggestions(self.search, self.tag_filter)
        self._build_notices()
        self._build_pages(results, thumbnails, thumbnail_size)
        self._build_results_bar(thumbnail_size)
        self._lay_out()
        self._filters_changed()

    # -- building -----------------------------------------------------------------

    def _build_search_row(self) -> None:
        """The search bar, the tag filter and the Filters button with its popup."""
        self.search = SearchBar()
        self.search.setPlaceholderText(LOADING_PLACEHOLDER)
        font = self.search.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.search.setFont(font)
        self.search.setMinimumHeight(self.search.sizeHint().height() + 6)

        self.tag_filter = QComboBox()
        self.tag_filter.setAccessibleName("Tag")
        self.tag_filter.setToolTip("Only photos with this tag (edit the tags in tags.txt)")
        # A width fixed for a long tag name, so the search bar does not shift as tags load.
        self.tag_filter.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.tag_filter.setMinimumContentsLength(14)
        self.tag_filter.setMinimumHeight(self.search.minimumHeight())
        self.set_tags([])

        self.filters_popup = FiltersPopup(self)
        self.filters_button = QPushButton("Filters")
        self.filters_button.setMinimumHeight(self.search.minimumHeight())
        self.filters_button.clicked.connect(
            lambda: self.filters_popup.show_under(self.filters_button)
        )
        self.filters_popup.changed.connect(self._filters_changed)

    def _build_notices(self) -> None:
        """What is wrong with the search, and the model's problem or download."""
        self.search_problem = _SearchProblem()
        self.search.problemChanged.connect(self.search_problem.show_problem)
        self.banner = ModelProblemBanner()
        self.banner.hide()
        self.download = ModelDownloadBar()
        self.download.hide()

    def _build_pages(
        self, results: ResultsModel, thumbnails: ThumbnailLoader, thumbnail_size: int
    ) -> None:
        self.grid = ResultsGrid(results, thumbnails, thumbnail_size)
        self.message = MessagePage()
        self.offered_folder: str | None = None  # what the start page's button adds
        self.pages = QStackedWidget()
        self.pages.addWidget(self.message)
        self.pages.addWidget(self.grid)

    def _build_results_bar(self, thumbnail_size: int) -> None:
        """The result count, the ways to more matches, and the thumbnail-size slider."""
        self.heading = plain_label()
        mute(self.heading)
        size_label = self._build_size_slider(thumbnail_size)
        # The result count and the size slider only mean something above results.
        self.results_bar = QWidget()
        under = QHBoxLayout(self.results_bar)
        under.setContentsMargins(0, 0, 0, 0)
        under.addWidget(self.heading)
        # Close matches only hide photos; the way to them is right beside the count.
        self.show_all = _link_button(
            "Show all matches", "Show every photo, not only the close matches"
        )
        self.show_all.clicked.connect(lambda: self.filters_popup.close_only.setChecked(False))
        under.addWidget(self.show_all)
        # In the row that is there anyway: a bar of its own would push the grid down.
        self.new_matches = _link_button(
            "", "Indexing found more matching photos: show them in order"
        )
        self.new_matches.hide()
        under.addSpacing(8)
        under.addWidget(self.new_matches)
        under.addStretch(1)
        under.addWidget(size_label)
        under.addWidget(self.size_slider)
        self.results_bar.hide()
        self.pages.currentChanged.connect(
            lambda _i: self.results_bar.setVisible(self.showing_grid())
        )

    def _build_size_slider(self, thumbnail_size: int) -> QLabel:
        """The thumbnail-size slider; returns its label."""
        size_label = plain_label("Size")
        mute(size_label)
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(THUMBNAIL_MIN, THUMBNAIL_MAX)
        self.size_slider.setSingleStep(THUMBNAIL_STEP // 2)
        self.size_slider.setPageStep(THUMBNAIL_STEP)
        self.size_slider.setFixedWidth(120)
        self.size_slider.setToolTip("Thumbnail size (Ctrl+Plus, Ctrl+Minus)")
        self.size_slider.setAccessibleName("Thumbnail size")
        size_label.setBuddy(self.size_slider)
        self.size_slider.setValue(thumbnail_size)
        self.size_slider.valueChanged.connect(
            lambda size: self.grid.set_thumbnail_size(clamp_thumbnail_size(size))
        )
        return size_label

    def _lay_out(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 0)
        layout.setSpacing(8)
        bar = QHBoxLayout()
        bar.setSpacing(8)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.tag_filter)
        bar.addWidget(self.filters_button)
        layout.addLayout(bar)
        layout.addWidget(self.search_problem)
        layout.addWidget(self.banner)
        layout.addWidget(self.download)
        layout.addWidget(self.suggestions)
        layout.addWidget(self.results_bar)
        layout.addWidget(self.pages, 1)

    def set_tags(self, names: list[str]) -> None:
        """Offer these tags in the filter, keeping the chosen one where it still exists."""
        chosen = self.tag()
        self.tag_filter.blockSignals(True)
        self.tag_filter.clear()
        self.tag_filter.addItem(ANY_TAG, None)
        for name in names:
            self.tag_filter.addItem(name, name)
        self.tag_filter.setCurrentIndex(max(0, self.tag_filter.findData(chosen)))
        self.tag_filter.blockSignals(False)
        self.tag_filter.setEnabled(bool(names))

    def tag(self) -> str | None:
        return self.tag_filter.currentData() if self.tag_filter.count() else None

    def filters(self) -> Filters:
        return self.filters_popup.filters()

    def _filters_changed(self) -> None:
        active = self.filters_popup.active()
        # The default "only close matches" has its own sign, "Show all matches" beside the
        # count; the number is for what the person chose.
        chosen = len(active) - int(self.filters_popup.close_only.isChecked())
        self.filters_button.setText(f"Filters ({chosen})" if chosen else "Filters")
        self.filters_button.setToolTip(
            plain_tooltip(*active) if active else "Date, folder, file type, order"
        )
        self.show_all.setVisible(self.filters_popup.close_only.isChecked())

    def offer_new_matches(self, count: int) -> None:
        """Offer `count` photos found since the results were shown (none: offer nothing)."""
        self.new_matches.setText(new_matches(count))
        self.new_matches.setVisible(count > 0)

    def showing_grid(self) -> bool:
        return self.pages.currentWidget() is self.grid

    def show_grid(self, heading: str) -> None:
        self.heading.setText(heading)
        self.pages.setCurrentWidget(self.grid)
        self.grid.scrollToTop()

    def show_message(self, title: str, text: str = "", button: str = "", other: str = "") -> None:
        self.message.show_message(title, text, button, other)
        self.pages.setCurrentWidget(self.message)

    def show_start_page(self, has_folders: bool) -> None:
        # A first run offers the Pictures folder outright (its button adds it); without one,
        # the button asks which folder.
        self.offered_folder = None if has_folders else pictures_folder()
        if not has_folders:
            offered = self.offered_folder
            self.show_message(
                "Find your photos by describing them",
                "Add a folder of photos to begin. Photofind looks at each photo once, here on "
                "this computer, and then finds it from a few words, such as “sunset over the "
                "sea” or “birthday cake”.",
                f"Use {home_relative(offered)}" if offered else "Add Folder…",
                "Choose Another Folder…" if offered else "",
            )
        else:
            self.show_message(
                "What are you looking for?",
                "Describe a photo in a few words, or drop a photo here to find similar ones.",
            )

    def step_thumbnail_size(self, steps: int) -> None:
        self.size_slider.setValue(self.size_slider.value() + steps * THUMBNAIL_STEP)


class _SearchProblem(QWidget):
    """Under the search bar: why the words typed so far cannot be searched yet. The results
    shown stay; Enter searches anyway, and then the problem is the page."""

    def __init__(self) -> None:
        super().__init__()
        icon = QLabel()
        side = self.fontMetrics().height()
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(side)
        )
        self.text = plain_label()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 0, 0)
        layout.addWidget(icon)
        layout.addWidget(self.text, 1)
        self.hide()

    def show_problem(self, problem: str) -> None:
        self.text.setText(problem)
        self.setVisible(bool(problem))


def _link_button(text: str, tooltip: str) -> QPushButton:
    """A flat button that reads as a link."""
    button = QPushButton(text)
    button.setFlat(True)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    use_role(button, QPalette.ColorRole.ButtonText, QPalette.ColorRole.Link)
    button.setToolTip(tooltip)
    return button
