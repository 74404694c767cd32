from lab.cli.app import main

main()
