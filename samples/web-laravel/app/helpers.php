<?php

// Loaded through composer.json's "autoload.files" (as composer's autoloader would).

if (! function_exists('harbour_name')) {
    function harbour_name(): string
    {
        return 'Ferry harbour';
    }
}
