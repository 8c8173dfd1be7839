"""A stand-in for the desktop's file manager on a private D-Bus session bus: it answers
org.freedesktop.FileManager1.ShowItems by writing the URIs it was asked to show to a file.

    python fake_file_manager.py OUT    (prints "ready" once it owns the service name)
"""

from __future__ import annotations

import sys

from PySide6.QtCore import ClassInfo, QCoreApplication, QObject, Slot
from PySide6.QtDBus import QDBusConnection

SERVICE = "org.freedesktop.FileManager1"


@ClassInfo({"D-Bus Interface": SERVICE})
class FileManager(QObject):
    def __init__(self, out: str) -> None:
        super().__init__()
        self.out = out

    @Slot("QStringList", str)
    def ShowItems(self, uris: list[str], _startup_id: str) -> None:
        with open(self.out, "a", encoding="utf-8") as f:
            f.write("\n".join(uris) + "\n")


def main() -> int:
    app = QCoreApplication(sys.argv[:1])
    bus = QDBusConnection.sessionBus()
    manager = FileManager(sys.argv[1])
    exported = bus.registerObject(
        "/org/freedesktop/FileManager1", manager, QDBusConnection.RegisterOption.ExportAllSlots
    )
    if not (exported and bus.registerService(SERVICE)):
        print("could not register on the session bus", flush=True)
        return 1
    print("ready", flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
