"""The Filters popup beside the search bar: date taken, place taken, folder, file types, order,
and whether to show only close matches (photofind.core.search.filters). Every change applies
at once."""

from __future__ import annotations

import os
from datetime import date

from PySide6.QtCore import QDate, QPoint, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from photofind.core.api import FILE_TYPES, Filters, PlaceKey, Sort
from photofind.gui.style import bold, home_relative, mute, plain_label, plain_tooltip

# The file types offered, in the order people meet them, as they are usually written.
TYPE_LABELS = {
    "jpeg": "JPEG",
    "heic": "HEIC",
    "png": "PNG",
    "raw": "RAW",
    "webp": "WebP",
    "tiff": "TIFF",
    "gif": "GIF",
    "avif": "AVIF",
    "bmp": "BMP",
}
SORT_LABELS: dict[Sort, str] = {
    "relevance": "Best match first",
    "newest": "Newest first",
    "oldest": "Oldest first",
}
ALL_FOLDERS = "All folders"
ANYWHERE = "Anywhere"
OTHER_FOLDER = "Choose Folder…"
DATE_FORMAT = "d MMM yyyy"
# The app shows only close matches until the user asks for all: a ranked list of the whole
# library is mostly photos that do not match.
APP_DEFAULT = Filters(cutoff=True)


class FiltersPopup(QFrame):
    """A popup under the Filters button; a click elsewhere or Esc closes it."""

    changed = Signal()
    placesWanted = Signal()  # the list of places is fetched as the popup opens (set_places)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._quiet = False
        self._folder_index = 0  # to go back to when choosing another folder is cancelled
        self._library_folders: tuple[str, ...] | None = None

        title_row = self._build_title_row()
        self._build_dates()
        self._build_place()
        self._build_folder()
        types = self._build_types()
        self._build_order()
        self._build_close_only()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 12)
        layout.setSpacing(10)
        layout.addLayout(title_row)
        layout.addLayout(self._lay_out_grid(types))
        self.set_filters(APP_DEFAULT)

    # -- building -----------------------------------------------------------------

    def _build_title_row(self) -> QHBoxLayout:
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("All photos, best match first, only close matches")
        self.reset_button.clicked.connect(self.reset)
        title_row = QHBoxLayout()
        title_row.addWidget(bold(plain_label("Filters")), 1)
        title_row.addWidget(self.reset_button)
        return title_row

    def _build_dates(self) -> None:
        today = QDate.currentDate()
        self.from_check = QCheckBox("From")
        self.from_date = _date_edit(QDate(today.year(), 1, 1))
        self.to_check = QCheckBox("To")
        self.to_date = _date_edit(today)
        for check, edit in ((self.from_check, self.from_date), (self.to_check, self.to_date)):
            check.toggled.connect(edit.setEnabled)
            check.toggled.connect(self._changed)
            edit.dateChanged.connect(self._changed)
        # The ticks name the dates beside them for sight; a screen reader needs it said.
        self.from_date.setAccessibleName("From date")
        self.to_date.setAccessibleName("To date")

    def _build_place(self) -> None:
        # Editable: a place can be typed ("portugal", "PT"), as in a query.
        self.place = QComboBox()
        self.place.setEditable(True)
        self.place.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.place.setMinimumContentsLength(18)
        self.place.lineEdit().setPlaceholderText(ANYWHERE)
        self.place.lineEdit().setAccessibleName("Place")
        self.place.setToolTip(
            plain_tooltip("A country, region or city the photos were taken in;", "type or pick one")
        )
        self._places: list[tuple[PlaceKey, int]] | None = None
        self._place_sent: str | None = None  # the place the last change applied
        self.set_places([])
        self.place.activated.connect(self._changed)
        self.place.lineEdit().editingFinished.connect(self._place_typed)

    def _build_folder(self) -> None:
        self.folder = QComboBox()
        self.folder.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.folder.setMinimumContentsLength(18)
        self.set_folders(())
        self.folder.activated.connect(self._folder_chosen)

    def _build_types(self) -> QGridLayout:
        self.type_checks: dict[str, QCheckBox] = {}
        types = QGridLayout()
        types.setHorizontalSpacing(12)
        for i, (name, label) in enumerate(TYPE_LABELS.items()):
            check = QCheckBox(label)
            check.toggled.connect(self._changed)
            self.type_checks[name] = check
            types.addWidget(check, i // 3, i % 3)
        return types

    def _build_order(self) -> None:
        self.sort = QComboBox()
        for key, label in SORT_LABELS.items():
            self.sort.addItem(label, key)
        self.sort.currentIndexChanged.connect(self._changed)

    def _build_close_only(self) -> None:
        self.close_only = QCheckBox("Only close matches")
        self.close_only.setToolTip(
            plain_tooltip(
                "Hide photos that score far below the best match,",
                "measured against how a typical photo scores for this search",
            )
        )
        self.close_only.toggled.connect(self._changed)

    def _lay_out_grid(self, types: QGridLayout) -> QGridLayout:
        """Each control beside its label, with a muted note under those that need one."""
        date_note = plain_label("The date a photo was taken, else its file's date")
        mute(date_note)
        types_note = plain_label("None ticked: every type")
        mute(types_note)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(6)
        grid.addWidget(self.from_check, 0, 0)
        grid.addWidget(self.from_date, 0, 1)
        grid.addWidget(self.to_check, 1, 0)
        grid.addWidget(self.to_date, 1, 1)
        grid.addWidget(date_note, 2, 1)
        grid.addWidget(_label_for("Place", self.place), 3, 0)
        grid.addWidget(self.place, 3, 1)
        grid.addWidget(_label_for("Folder", self.folder), 4, 0)
        grid.addWidget(self.folder, 4, 1)
        grid.addWidget(plain_label("Type"), 5, 0, Qt.AlignmentFlag.AlignTop)
        grid.addLayout(types, 5, 1)
        grid.addWidget(types_note, 6, 1)
        grid.addWidget(_label_for("Order", self.sort), 7, 0)
        grid.addWidget(self.sort, 7, 1)
        grid.addWidget(self.close_only, 8, 0, 1, 2)
        return grid

    # -- what is chosen ---------------------------------------------------------

    def filters(self) -> Filters:
        start = self.from_date.date().toPython() if self.from_check.isChecked() else None
        end = self.to_date.date().toPython() if self.to_check.isChecked() else None
        if start and end and start > end:
            start, end = end, start  # a range picked back to front means the same range
        extensions: frozenset[str] = frozenset().union(
            *(FILE_TYPES[name] for name, check in self.type_checks.items() if check.isChecked())
        )
        return Filters(
            date_from=start,
            date_to=end,
            folder=self.folder.currentData(),
            place=self.chosen_place(),
            extensions=extensions,
            sort=self.sort.currentData(),
            cutoff=self.close_only.isChecked(),
        )

    def set_filters(self, filters: Filters) -> None:
        self._quiet = True
        try:
            for check, edit, day in (
                (self.from_check, self.from_date, filters.date_from),
                (self.to_check, self.to_date, filters.date_to),
            ):
                check.setChecked(day is not None)
                edit.setEnabled(day is not None)
                if day is not None:
                    edit.setDate(QDate(day.year, day.month, day.day))
            self._select_place(filters.place)
            self._select_folder(filters.folder)
            chosen = filters.extensions
            for name, check in self.type_checks.items():
                check.setChecked(bool(chosen) and FILE_TYPES[name] <= chosen)
            self.sort.setCurrentIndex(max(0, self.sort.findData(filters.sort)))
            self.close_only.setChecked(filters.cutoff)
        finally:
            self._quiet = False
        self.changed.emit()

    def reset(self) -> None:
        self.set_filters(APP_DEFAULT)

    def active(self) -> list[str]:
        """The filters that hide photos, in words ("From 1 May 2021", "JPEG, PNG"…)."""
        f = self.filters()
        parts = []
        if f.date_from and f.date_from == f.date_to:
            parts.append(f"On {_day(f.date_from)}")
        elif f.date_from and f.date_to:
            parts.append(f"{_day(f.date_from)} to {_day(f.date_to)}")
        elif f.date_from:
            parts.append(f"From {_day(f.date_from)}")
        elif f.date_to:
            parts.append(f"Until {_day(f.date_to)}")
        if f.place:
            parts.append(f"Taken in {f.place}")
        if f.folder:
            parts.append(f"In {home_relative(f.folder)}")
        ticked = [TYPE_LABELS[n] for n, check in self.type_checks.items() if check.isChecked()]
        if ticked:
            parts.append(", ".join(ticked))
        if f.cutoff:
            parts.append("Only close matches")
        return parts

    # -- the library's places -----------------------------------------------------

    def chosen_place(self) -> str | None:
        """The place picked or typed as it is listed ("Lisbon, Portugal (8)" or "Lisbon,
        Portugal" stand for Lisbon), else as typed ("portugal"); None for anywhere."""
        text = self.place.currentText().strip()
        for index in range(self.place.count()):
            label = self.place.itemText(index)
            if text.casefold() in (label.casefold(), label.rpartition(" (")[0].casefold()):
                return self.place.itemData(index)
        return text or None

    def set_places(self, places: list[tuple[PlaceKey, int]]) -> None:
        """Offer the places the library's photos were taken in, by country with its cities,
        with how many photos each, keeping what is picked or typed."""
        if places == self._places:
            return  # an open list stays open
        self._places = list(places)
        chosen = self.chosen_place() if self.place.count() else None
        self.place.blockSignals(True)
        self.place.clear()
        self.place.addItem(ANYWHERE, None)
        for label, name in place_choices(places):
            self.place.addItem(label, name)
        self.place.blockSignals(False)
        self._select_place(chosen)

    def _select_place(self, place: str | None) -> None:
        index = 0 if place is None else self.place.findData(place)
        self.place.blockSignals(True)
        if index >= 0:
            self.place.setCurrentIndex(index)
        else:
            self.place.setEditText(place or "")
        self.place.blockSignals(False)
        self._place_sent = place

    def _place_typed(self) -> None:
        if self.chosen_place() != self._place_sent:
            self._changed()

    # -- the library's folders ----------------------------------------------------

    def set_folders(self, folders: tuple[str, ...] | list[str]) -> None:
        """Offer the library's folders, keeping the chosen one (even if it is not among them)."""
        if tuple(folders) == self._library_folders:
            return  # the state comes every few seconds while indexing; an open list stays open
        self._library_folders = tuple(folders)
        chosen = self.folder.currentData() if self.folder.count() else None
        self.folder.blockSignals(True)
        self.folder.clear()
        self.folder.addItem(ALL_FOLDERS, None)
        for folder in folders:
            self._add_folder_item(folder)
        self.folder.addItem(OTHER_FOLDER, None)
        self.folder.blockSignals(False)
        self._select_folder(chosen)

    def _add_folder_item(self, folder: str) -> None:
        index = self.folder.count() - (1 if self.folder.findText(OTHER_FOLDER) >= 0 else 0)
        self.folder.insertItem(index, home_relative(folder), folder)
        self.folder.setItemData(index, plain_tooltip(folder), Qt.ItemDataRole.ToolTipRole)

    def _select_folder(self, folder: str | None) -> None:
        index = 0 if folder is None else self.folder.findData(folder)
        if index < 0:
            self._add_folder_item(folder)  # type: ignore[arg-type]
            index = self.folder.findData(folder)
        self.folder.blockSignals(True)
        self.folder.setCurrentIndex(index)
        self.folder.blockSignals(False)
        self._folder_index = index

    def _folder_chosen(self, index: int) -> None:
        if self.folder.itemText(index) == OTHER_FOLDER:
            # The file dialog takes the focus, which closes this popup; the choice still
            # applies, and the button's label shows it.
            start = self.folder.itemData(self._folder_index) or os.path.expanduser("~")
            owner = self.parentWidget().window() if self.parentWidget() else None
            chosen = QFileDialog.getExistingDirectory(owner, "Only Photos in This Folder", start)
            self._select_folder(os.path.abspath(chosen) if chosen else self._folder_data())
        else:
            self._folder_index = index
        self._changed()

    def _folder_data(self) -> str | None:
        return self.folder.itemData(self._folder_index)

    # -- showing ------------------------------------------------------------------

    def show_under(self, widget: QWidget) -> None:
        self.adjustSize()
        self.move(widget.mapToGlobal(QPoint(widget.width() - self.width(), widget.height() + 2)))
        self.show()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.placesWanted.emit()

    def _changed(self) -> None:
        self._place_sent = self.chosen_place()
        if not self._quiet:
            self.changed.emit()


def place_choices(places: list[tuple[PlaceKey, int]]) -> list[tuple[str, str]]:
    """(label, the name the filter is given) of each country, most photos first, then each
    of its cities (its region where the city is not known): "Portugal (12)", "Lisbon,
    Portugal (8)"."""
    countries: dict[str, int] = {}
    towns: dict[tuple[str, str], int] = {}
    for (_code, country, region, city), count in places:
        countries[country] = countries.get(country, 0) + count
        town = city or region
        if town and town != country:
            towns[(country, town)] = towns.get((country, town), 0) + count
    choices = []
    for country in sorted(countries, key=lambda c: (-countries[c], c)):
        choices.append((f"{country} ({countries[country]:,})", country))
        in_it = [(town, n) for (c, town), n in towns.items() if c == country]
        for town, count in sorted(in_it, key=lambda t: (-t[1], t[0])):
            choices.append((f"{town}, {country} ({count:,})", f"{town}, {country}"))
    return choices


def _label_for(text: str, control: QWidget) -> QLabel:
    """A label tied to its control: a screen reader names the control by it."""
    label = plain_label(text)
    label.setBuddy(control)
    control.setAccessibleName(text)
    return label


def _date_edit(day: QDate) -> QDateEdit:
    edit = QDateEdit(day)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(DATE_FORMAT)
    edit.setEnabled(False)
    return edit


def _day(day: date) -> str:
    return QDate(day.year, day.month, day.day).toString(DATE_FORMAT)
