"""The Textual user interface: thin widgets over the domain packages."""
