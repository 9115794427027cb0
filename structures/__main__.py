from structures.cli import main

raise SystemExit(main())
