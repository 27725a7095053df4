module aria.dev/pause

go 1.24
