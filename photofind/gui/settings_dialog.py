"""Editing the app's preferences: model, device, thumbnails, search index, reading text in
photos, indexing at start."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from photofind.core.api import DEFAULT_MODEL, MODELS, TEXT_MODE_VARIABLE, CatalogModel
from photofind.gui.model_table import ModelTable, model_notes
from photofind.gui.settings import (
    CACHE_GB_MAX,
    CACHE_GB_MIN,
    THUMBNAIL_MAX,
    THUMBNAIL_MIN,
    THUMBNAIL_STEP,
    Preferences,
    gpu_device,
)
from photofind.gui.style import mute, plain_label

# Which photos to read for text (core.index.text_stage's modes).
TEXT_READING = (
    ("Photos likely to hold text (screenshots, documents, signs…)", "auto"),
    ("Every photo (slow: about a second a photo)", "all"),
    ("None", "off"),
)


class SettingsDialog(QDialog):
    """`data_dir` is where measured model speeds are remembered; without one, speeds are not
    measured. `models` is the list offered (core.model.catalog's by default)."""

    def __init__(
        self,
        prefs: Preferences,
        parent: QWidget | None = None,
        *,
        data_dir: Path | None = None,
        models: Sequence[CatalogModel] = MODELS,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        model_row = self._build_model_row(prefs)
        self.models = ModelTable(models, data_dir)
        self.models.picked.connect(self.model.setText)
        self._build_device(prefs)
        size_row = self._build_size_row(prefs)
        self._build_thumbnail_cache(prefs)
        self._build_search_index(prefs)
        self._build_text_reading(prefs)
        self.index_on_start = QCheckBox("Bring the index up to date when Photofind starts")
        self.index_on_start.setChecked(prefs.index_on_start)

        layout = QVBoxLayout(self)
        layout.addLayout(self._lay_out_form(model_row, size_row))
        layout.addWidget(_reload_note())
        layout.addStretch(1)
        layout.addWidget(self._build_buttons())
        self.resize(900, self.sizeHint().height())
        self.models.show_chosen(self.model.text())
        self.device.currentIndexChanged.connect(self._measure_speeds)
        self._measure_speeds()

    # -- building -----------------------------------------------------------------

    def _build_model_row(self, prefs: Preferences) -> QHBoxLayout:
        self.model = QLineEdit(prefs.model)
        self.model.setPlaceholderText(DEFAULT_MODEL)
        self.model.setToolTip("A Hugging Face model id, or a folder holding a CLIP model")
        self.model.textEdited.connect(lambda ref: self.models.show_chosen(ref))
        browse = QPushButton("Choose Model Folder…")
        browse.clicked.connect(self._choose_model_folder)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(browse)
        return model_row

    def _build_device(self, prefs: Preferences) -> None:
        self.device = QComboBox()
        self.device.addItem("Automatic", "auto")
        self.device.addItem("CPU", "cpu")
        self.device.addItem("GPU", gpu_device())
        index = self.device.findData(prefs.device)
        self.device.setCurrentIndex(max(index, 0))

    def _build_size_row(self, prefs: Preferences) -> QHBoxLayout:
        """The thumbnail-size slider, with the size it stands at in pixels."""
        self.thumbnail_size = QSlider(Qt.Orientation.Horizontal)
        self.thumbnail_size.setRange(THUMBNAIL_MIN, THUMBNAIL_MAX)
        self.thumbnail_size.setSingleStep(THUMBNAIL_STEP // 2)
        self.thumbnail_size.setPageStep(THUMBNAIL_STEP)
        self.thumbnail_size.setValue(prefs.thumbnail_size)
        size_label = plain_label()
        size_label.setMinimumWidth(size_label.fontMetrics().horizontalAdvance("000 px"))
        self.thumbnail_size.valueChanged.connect(lambda v: size_label.setText(f"{v} px"))
        size_label.setText(f"{prefs.thumbnail_size} px")
        size_row = QHBoxLayout()
        size_row.addWidget(self.thumbnail_size, 1)
        size_row.addWidget(size_label)
        return size_row

    def _build_thumbnail_cache(self, prefs: Preferences) -> None:
        self.thumbnail_cache = QDoubleSpinBox()
        self.thumbnail_cache.setRange(CACHE_GB_MIN, CACHE_GB_MAX)
        self.thumbnail_cache.setDecimals(1)
        self.thumbnail_cache.setSingleStep(0.5)
        self.thumbnail_cache.setSuffix(" GB")
        self.thumbnail_cache.setValue(prefs.thumbnail_cache_gb)
        self.thumbnail_cache.setToolTip(
            "Thumbnails kept on disk; the least recently seen go first when it is full"
        )

    def _build_search_index(self, prefs: Preferences) -> None:
        self.search_index = QComboBox()
        self.search_index.addItem("Exact: every photo compared (best up to a million)", "exact")
        self.search_index.addItem(
            "Approximate: a search graph, for a million photos and more", "approximate"
        )
        self.search_index.setCurrentIndex(max(self.search_index.findData(prefs.search_index), 0))
        if importlib.util.find_spec("usearch") is None and prefs.search_index != "approximate":
            # Offered only where its package is installed: photofind[ann].
            self.search_index.model().item(1).setEnabled(False)  # type: ignore[attr-defined]
            self.search_index.setItemData(
                1,
                "Needs the usearch package: pip install 'photofind[ann]'",
                Qt.ItemDataRole.ToolTipRole,
            )

    def _build_text_reading(self, prefs: Preferences) -> None:
        self.text_reading = QComboBox()
        for label, mode in TEXT_READING:
            self.text_reading.addItem(label, mode)
        self.text_reading.setCurrentIndex(max(self.text_reading.findData(prefs.text_reading), 0))
        self.text_reading.setToolTip(
            f"Words read in photos are found by quoted searches; {TEXT_MODE_VARIABLE} "
            "overrides this when it is set"
        )

    def _measure_speeds(self) -> None:
        self.models.measure_speeds(str(self.device.currentData()))

    def _lay_out_form(self, model_row: QHBoxLayout, size_row: QHBoxLayout) -> QFormLayout:
        form = QFormLayout()
        # Rows holding a layout tie their label to no control: name the control itself.
        self.model.setAccessibleName("Model: a Hugging Face id or a folder")
        self.thumbnail_size.setAccessibleName("Thumbnail size")
        # The list spans the form's width: its columns need all of it.
        form.addRow(plain_label("Model"))
        form.addRow(self.models)
        form.addRow(model_notes())
        form.addRow("Hub id or folder", model_row)
        form.addRow("Device", self.device)
        form.addRow("Thumbnail size", size_row)
        form.addRow("Thumbnail cache size", self.thumbnail_cache)
        form.addRow("Search index", self.search_index)
        form.addRow("Read text in photos", self.text_reading)
        form.addRow("", self.index_on_start)
        return form

    def _build_buttons(self) -> QDialogButtonBox:
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        return buttons

    def preferences(self) -> Preferences:
        return Preferences(
            model=self.model.text().strip() or DEFAULT_MODEL,
            device=str(self.device.currentData()),
            thumbnail_size=self.thumbnail_size.value(),
            index_on_start=self.index_on_start.isChecked(),
            search_index=str(self.search_index.currentData()),
            thumbnail_cache_gb=self.thumbnail_cache.value(),
            text_reading=str(self.text_reading.currentData()),
        )

    def _choose_model_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a Model Folder")
        if folder:
            self.model.setText(folder)
            self.models.show_chosen(folder)

    def done(self, result: int) -> None:
        self.models.stop_measuring()
        super().done(result)


def _reload_note() -> QLabel:
    note = plain_label(
        "Changing the model or device reloads the model; photos are indexed again for a new model.",
        wrap=True,
    )
    mute(note)
    return note
