"""The simulated 802.15.4 radio medium shared by simulated radios on the run's virtual clock."""
