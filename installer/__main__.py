from installer.cli.main import main

raise SystemExit(main())
