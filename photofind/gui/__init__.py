"""The desktop app (Qt). Nothing in photofind.core imports from here."""
