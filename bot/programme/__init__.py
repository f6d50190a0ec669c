"""Programme files: reading and checking them (`check`), writing them to the database (`load`)."""
